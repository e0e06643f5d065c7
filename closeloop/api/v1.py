"""The v1 router: /api/v1/ with the OpenAPI document at openapi.json and docs at docs."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Closeloop API", version="1", urls_namespace="api-v1", docs_url="/docs", openapi_url="/openapi.json"
)
