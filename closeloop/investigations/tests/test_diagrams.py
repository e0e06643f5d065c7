"""The fishbone picture: pure SVG from the D4 causes, every text escaped."""

from closeloop.investigations.content import CAUSE_CATEGORIES
from closeloop.investigations.diagrams import BONES, MAX_PER_BONE, fishbone_svg


def test_every_bone_is_drawn_with_its_label_and_each_cause_on_its_bone():
    causes = [
        {"id": f"C{i}", "category": bone, "text": f"原因{i}", "status": "candidate"}
        for i, bone in enumerate(BONES)
    ]
    svg = fishbone_svg(causes=causes, head="螺丝刀杆生锈", labels={b: f"<{b}>" for b in BONES})
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for i, bone in enumerate(BONES):
        assert f'data-bone="{bone}">&lt;{bone}&gt;</text>' in svg
        assert f">原因{i}</text>" in svg
    assert svg.count('data-status="candidate"') == len(BONES)
    assert "螺丝刀杆生锈" in svg


def test_verified_causes_are_bold_refuted_ones_struck_through():
    svg = fishbone_svg(
        causes=[
            {"category": "environment", "text": "包装受潮", "status": "verified"},
            {"category": "material", "text": "材料批次异常", "status": "refuted"},
        ],
        head="生锈",
        labels=CAUSE_CATEGORIES,
    )
    verified = svg.split(">包装受潮<")[0].rsplit("<text", 1)[1]
    refuted = svg.split(">材料批次异常<")[0].rsplit("<text", 1)[1]
    assert 'font-weight="700"' in verified and "line-through" not in verified
    assert 'text-decoration="line-through"' in refuted and 'font-weight="700"' not in refuted
    # the strike is drawn as well, for renderers that ignore text-decoration
    after = svg.split(">材料批次异常</text>")[1]
    assert after.startswith("<line")


def test_hostile_text_comes_out_escaped_and_unknown_bones_are_ignored():
    svg = fishbone_svg(
        causes=[
            {"category": "man", "text": '<script>alert("x")</script>', "status": "<b>"},
            {"category": "weather", "text": "不在六个方面里", "status": "candidate"},
        ],
        head='</svg><img src=x onerror="1">',
        labels=CAUSE_CATEGORIES,
        title="<i>8D</i>",
    )
    assert "<script" not in svg and "<img" not in svg and "<i>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&lt;/svg&gt;&lt;img" in svg and "&lt;i&gt;8D&lt;/i&gt;" in svg
    assert "不在六个方面里" not in svg
    assert svg.count("</svg>") == 1


def test_a_crowded_bone_shows_how_many_more_causes_it_has():
    causes = [{"category": "method", "text": f"方法{i}"} for i in range(MAX_PER_BONE + 3)]
    svg = fishbone_svg(causes=causes, head="生锈", labels=CAUSE_CATEGORIES)
    assert f">方法{MAX_PER_BONE - 1}</text>" in svg and f">方法{MAX_PER_BONE}</text>" not in svg
    assert ">+3</text>" in svg
