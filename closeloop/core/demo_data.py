"""The demo's master data and complaint texts: departments, one user per role, customers, sites,
products, carriers, the complaints' issues and resolutions. Plain data, also read by the generator,
the bench's import files and the search tokenizer's tests."""

from __future__ import annotations

from closeloop.accounts import roles

DEMO_PASSWORD = "closeloop-demo"  # noqa: S105 — documented demo credential, local demo only

DEPARTMENTS = [
    ("service", "客服部", "Customer service"),
    ("sales", "销售部", "Sales"),
    ("quality", "质量部", "Quality"),
    ("purchasing", "采购部", "Purchasing"),
    ("finance", "财务部", "Finance"),
    ("management", "总经理办公室", "General management"),
    ("it", "信息部", "IT"),
]
USERS = [
    ("agent", "客服李娜", roles.AGENT, "service"),
    ("sales", "销售王强", roles.SALESPERSON, "sales"),
    ("salesmgr", "销售经理赵敏", roles.SALES_MANAGER, "sales"),
    ("qe", "质量工程师陈涛", roles.QUALITY_ENGINEER, "quality"),
    ("qm", "质量部经理张伟", roles.QUALITY_MANAGER, "quality"),
    ("purchasing", "采购经理刘洋", roles.PURCHASING_MANAGER, "purchasing"),
    ("finance", "财务周婷", roles.FINANCE, "finance"),
    ("gm", "总经理孙建国", roles.GENERAL_MANAGER, "management"),
    ("admin", "系统管理员", roles.ADMINISTRATOR, "it"),
]
CUSTOMERS = [
    ("C001", "上海华东机电有限公司", "strategic", 28_000_000, "汽车零部件", "华东", True),
    ("C002", "广州南方汽配集团", "key", 12_500_000, "汽车零部件", "华南", True),
    ("C003", "北京京北工具贸易有限公司", "normal", 1_800_000, "五金贸易", "华北", False),
    ("C004", "成都西部建材有限公司", "key", 6_400_000, "建筑材料", "西南", False),
    ("C005", "苏州精工电子科技有限公司", "strategic", 35_000_000, "电子制造", "华东", True),
    ("C006", "武汉中部家电配件厂", "normal", 900_000, "家电", "华中", False),
]
CONTACTS = ["王经理", "李工", "张主管", "陈采购", "刘质量"]
SITES = [
    ("SZ", "深圳工厂", "Shenzhen plant"),
    ("SU", "苏州工厂", "Suzhou plant"),
    ("CQ", "重庆工厂", "Chongqing plant"),
]
# product family -> the plant that makes it
SITE_BY_FAMILY = {
    "手动工具": "SU",
    "管件": "SU",
    "液压设备": "CQ",
    "传动部件": "CQ",
    "电子元件": "SZ",
    "注塑件": "SZ",
    "密封件": "SZ",
    "包装材料": "SZ",
}
PRODUCTS = [
    ("P001", "十字螺丝刀 PH2×150", "手动工具", 12),
    ("P002", "一字螺丝刀 SL6×150", "手动工具", 12),
    ("P003", "内六角扳手套装", "手动工具", 24),
    ("P004", '棘轮扳手 3/8"', "手动工具", 24),
    ("P005", "液压千斤顶 5T", "液压设备", 18),
    ("P006", "液压油缸 HSG-80", "液压设备", 18),
    ("P007", "齿轮泵 CBN-E310", "液压设备", 12),
    ("P008", "变速箱总成 5MT", "传动部件", 24),
    ("P009", "离合器片 Φ240", "传动部件", 12),
    ("P010", "万向节 SWC-180", "传动部件", 12),
    ("P011", "不锈钢法兰 DN50", "管件", 36),
    ("P012", "镀锌弯头 DN25", "管件", 36),
    ("P013", "电源适配器 12V/2A", "电子元件", 12),
    ("P014", "温控开关 KSD301", "电子元件", 12),
    ("P015", "接线端子排 TB-1512", "电子元件", 6),
    ("P016", "塑料外壳 ABS-220", "注塑件", 6),
    ("P017", "橡胶密封圈 O-50", "密封件", 6),
    ("P018", "骨架油封 TC-45", "密封件", 12),
    ("P019", "包装纸箱 K=K 五层", "包装材料", 3),
    ("P020", "木托盘 1200×1000", "包装材料", 3),
]
CARRIERS = ["顺丰速运", "德邦物流", "中通快运", "自提"]
# (category, severity, title, description, requirement)
ISSUES: list[tuple[str, str, str, str, str]] = [
    (
        "quality-corrosion",
        "serious",
        "螺丝刀杆生锈",
        "客户收货后发现螺丝刀杆表面大面积生锈，疑似运输途中受潮。",
        "全部换货，并提供8D报告",
    ),
    (
        "quality-leakage",
        "serious",
        "液压油缸漏油",
        "油缸在保压测试中出现漏油，密封处渗油明显。",
        "派工程师现场处理并分析原因",
    ),
    ("quality-appearance", "minor", "外壳表面划伤", "塑料外壳表面有明显划伤，影响外观。", "挑选并补发良品"),
    (
        "quality-dimension",
        "general",
        "法兰尺寸超差",
        "法兰螺栓孔距实测超出公差0.3mm，无法装配。",
        "退货并说明原因",
    ),
    (
        "quality-function",
        "serious",
        "温控开关失效",
        "温控开关在85℃未断开，存在安全隐患。",
        "立即停用该批次，提供原因分析",
    ),
    (
        "quality-material",
        "general",
        "密封圈硬度不合格",
        "来料检验发现密封圈硬度偏低，与图纸要求不符。",
        "提供材质报告",
    ),
    ("logistics-damage", "general", "包装破损", "到货时纸箱破损，部分产品外露受损。", "补发受损产品"),
    ("logistics-packaging", "minor", "托盘捆扎不牢", "托盘缠绕膜松脱，货物倾斜。", "改进包装方式"),
    (
        "delivery-late",
        "general",
        "延期交货",
        "订单约定交期已过一周仍未到货，影响客户产线。",
        "尽快发货并说明原因",
    ),
    ("delivery-quantity", "minor", "少发货", "实收数量比装箱单少20件。", "补发差额"),
    ("delivery-wrong-item", "general", "错发型号", "订购PH2规格，实际收到PH1规格。", "换货"),
    ("service-response", "minor", "售后响应慢", "客户反映售后热线多次无人接听。", "指定专人对接"),
    ("price-invoice", "minor", "发票信息错误", "发票抬头与税号不一致，无法入账。", "重开发票"),
    ("documentation-certificate", "minor", "缺少质检报告", "随货未附出厂检验报告。", "补寄质检报告"),
    ("quality-leakage", "serious", "齿轮泵漏油严重", "齿轮泵运行两小时后轴封漏油严重。", "更换并提供8D报告"),
]


RESOLUTIONS = [
    "已补发良品并安排专人跟进，客户已签收。",
    "已派质量工程师到现场挑选并更换不良品。",
    "已重开发票并快递寄出。",
    "已补寄出厂检验报告。",
    "已调整包装方式并补发受损产品。",
]
