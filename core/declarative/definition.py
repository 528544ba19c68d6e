"""The declarative REST source format: typed models of one `source.yaml` (the JSON Schema that
editors use is generated from these, see `schema.py`).

The vocabulary is closed and typed (`Literal` discriminators, after dlt's typed hints): an auth is
one of four strategies, a paginator one of the five in `core/http`, a stream reads in one of three
ways (a plain listing, a listing filtered by a `since` cursor, or a changed-ids endpoint with a
follow-up read per id). Values may hold placeholders: `{config.NAME}` (an instance setting),
`{id}` (in a detail path). Secrets are instance settings declared `secret: true`, given in
`hub.yaml` as `Secret` references, and may only appear in `auth:`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Scalar = str | int | float | bool


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# -- instance settings -------------------------------------------------------------------------


class ConfigFieldDef(_Model):
    """One setting an instance gives in `hub.yaml` (`config:` of the instance)."""

    description: str = Field(default="", description="what to set it to, shown by `hub connectors`")
    type: Literal["string", "integer", "number", "boolean"] = "string"
    secret: bool = Field(
        default=False,
        description="a credential: typed Secret (a literal, {env: NAME} or {airflow_conn: ID}); "
        "never printed, logged or stored",
    )
    default: Scalar | None = Field(default=None, description="value when the instance leaves it out")
    example: Scalar | None = Field(
        default=None, description="an example value; the fixture sandbox uses it as its own setting"
    )

    @model_validator(mode="after")
    def _secret_has_no_default(self) -> ConfigFieldDef:
        if self.secret and self.default is not None:
            raise ValueError("a secret setting cannot have a default (it would be a secret in the file)")
        return self


# -- authentication ----------------------------------------------------------------------------


class NoAuthDef(_Model):
    type: Literal["none"]


class BasicAuthDef(_Model):
    """HTTP Basic. One part must be a secret setting (BambooHR: the API key is the user name)."""

    type: Literal["basic"]
    username: str = Field(description='user name, e.g. "{config.username}" or "{config.api_key}"')
    password: str = Field(description='password, e.g. "{config.password}" (or a literal the API ignores)')


class BearerAuthDef(_Model):
    """A static bearer token."""

    type: Literal["bearer"]
    token: str = Field(description='"{config.token}": a secret setting')


class ApiKeyAuthDef(_Model):
    """An API key in a request header."""

    type: Literal["api_key"]
    header: str = Field(default="X-API-Key", description="header name")
    value: str = Field(description='header value, e.g. "{config.api_key}" or "Token {config.api_key}"')


class OAuth2ClientCredentialsDef(_Model):
    """OAuth 2.0 client credentials; the token is cached until it expires."""

    type: Literal["oauth2_client_credentials"]
    token_url: str = Field(description="token endpoint: absolute, or relative to base_url")
    client_id: str = Field(description='"{config.client_id}"')
    client_secret: str = Field(description='"{config.client_secret}": a secret setting')
    scope: str | None = None
    client_auth: Literal["body", "basic"] = Field(
        default="body", description="send the client credentials in the form body or as HTTP Basic"
    )


AuthDef = Annotated[
    NoAuthDef | BasicAuthDef | BearerAuthDef | ApiKeyAuthDef | OAuth2ClientCredentialsDef,
    Field(discriminator="type"),
]
#: the auth fields that carry a credential: each must name a secret setting
CREDENTIAL_SLOTS: dict[str, tuple[str, ...]] = {
    "basic": ("username", "password"),
    "bearer": ("token",),
    "api_key": ("value",),
    "oauth2_client_credentials": ("client_secret",),
}


# -- paging ------------------------------------------------------------------------------------


class NoPagingDef(_Model):
    type: Literal["none"]


class OffsetPagingDef(_Model):
    type: Literal["offset"]
    limit: int = Field(default=100, ge=1, description="records asked per page")
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: str | None = Field(default=None, description="body field with the total count, if any")


class PageNumberPagingDef(_Model):
    type: Literal["page_number"]
    page_param: str = "page"
    start: int = Field(default=1, ge=0)
    total_pages_path: str = Field(description="body field with the number of pages")
    size_param: str | None = Field(default=None, description="page size parameter, e.g. per_page")
    size: int | None = Field(default=None, ge=1)


class CursorPagingDef(_Model):
    type: Literal["cursor"]
    token_path: str = Field(description="body field with the next page's token (absent on the last)")
    param: str = Field(description="query parameter that sends the token back")


class NextLinkPagingDef(_Model):
    type: Literal["next_link"]
    path: str = Field(default="next", description="top-level body field with the next page's URL")


class LinkHeaderPagingDef(_Model):
    type: Literal["link_header"]


PagingDef = Annotated[
    NoPagingDef
    | OffsetPagingDef
    | PageNumberPagingDef
    | CursorPagingDef
    | NextLinkPagingDef
    | LinkHeaderPagingDef,
    Field(discriminator="type"),
]


# -- streams -----------------------------------------------------------------------------------


class RequestDef(_Model):
    path: str = Field(description="relative to base_url; may hold {config.NAME}")
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, Scalar] = Field(default_factory=dict, description="query parameters")
    body: dict[str, Any] | None = Field(default=None, description="JSON body (POST search endpoints)")


class DeletedDef(_Model):
    """Which records (or change entries) say the record is gone."""

    field: str
    equals: Scalar | list[Scalar] = Field(description="the value (or values) of `field` meaning deleted")

    def values(self) -> list[Scalar]:
        return self.equals if isinstance(self.equals, list) else [self.equals]


class SinceDef(_Model):
    """Incremental reads: the listing filtered to records changed since the cursor."""

    param: str = Field(description="query parameter taking the cursor, e.g. updated_since")
    cursor_field: str = Field(description="record field the cursor follows (its largest value read)")
    lookback_seconds: int = Field(default=0, ge=0, description="re-read this much before the cursor")


class ChangesDef(RequestDef):
    """A changed-ids endpoint: entries naming records changed since the cursor (read by `detail`)."""

    since_param: str = Field(description="query parameter taking the cursor, e.g. since")
    records: str = Field(description="where the entries are: a dotted path; `path.*` for a map's values")
    id_field: str = Field(default="id", description="entry field with the record's id")
    cursor_field: str | None = Field(default=None, description="entry field with its change time")
    cursor_path: str | None = Field(default=None, description="body field with the next cursor, e.g. latest")
    deleted: DeletedDef | None = Field(default=None, description="entries that report a deletion")
    since_format: Literal["iso8601", "unix"] = Field(
        default="iso8601", description="cursor format for the first round (taken from the server's Date)"
    )
    lookback_seconds: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _needs_cursor(self) -> ChangesDef:
        if not self.cursor_field and not self.cursor_path:
            raise ValueError("changes needs cursor_field (per entry) or cursor_path (in the body)")
        return self


class DetailDef(_Model):
    """A follow-up read per record: the listing or the changes name ids, this reads each one."""

    path: str = Field(description="path with {id}, e.g. employees/{id}")
    params: dict[str, Scalar] = Field(default_factory=dict)
    id_field: str = Field(default="id", description="listing field with the id to put in {id}")
    records: str = Field(default="", description="where the record is in the body (empty: the body)")


class StreamDef(_Model):
    """One stream: a listing, optionally incremental (`since`) or delta (`changes`)."""

    description: str = ""
    request: RequestDef
    records: str = Field(default="", description="where the records are: dotted path; `path.*` for a map")
    primary_key: list[str] = Field(min_length=1)
    paginator: PagingDef = Field(default_factory=lambda: NoPagingDef(type="none"))
    since: SinceDef | None = None
    changes: ChangesDef | None = None
    detail: DetailDef | None = None
    deleted: DeletedDef | None = Field(default=None, description="records that report a deletion")
    record_schema: dict[str, Any] | None = Field(
        default=None, alias="schema", description="JSON Schema of a record (the contract kit checks it)"
    )

    @model_validator(mode="after")
    def _one_incremental_style(self) -> StreamDef:
        if self.since is not None and self.changes is not None:
            raise ValueError("a stream reads changes by `since` or by `changes`, not both")
        if self.changes is not None and self.detail is None:
            raise ValueError("`changes` names records by id: add `detail` to read each one")
        return self


class RateLimitDef(_Model):
    requests_per_second: float | None = Field(
        default=None, gt=0, description="client-side budget per host (429/503 Retry-After is always honoured)"
    )


class CheckDef(_Model):
    """The request `hub check` sends (default: the first stream's first page)."""

    path: str
    params: dict[str, Scalar] = Field(default_factory=dict)


# -- the fixture sandbox -----------------------------------------------------------------------


class SandboxStreamDef(_Model):
    """How the fixture sandbox renders one record of this stream from the seeded organisation."""

    roster: Literal["people", "devices"] = "people"
    record: dict[str, Any] = Field(
        description='API field -> template over the roster, e.g. firstName: "{given_name}"; '
        "{status} can be mapped with {from: status, map: {active: Active}}"
    )
    since_inclusive: bool = Field(default=True, description="`since` returns changes at (not only after) it")
    live_action: str = Field(default="Updated", description="change entry value for a record not deleted")
    fields_param: str | None = Field(
        default=None, description="detail parameter listing the fields to return (comma-separated)"
    )


class SandboxDef(_Model):
    """The generic fixture sandbox: a roster-backed fake serving this definition over HTTPS."""

    streams: dict[Name, SandboxStreamDef]
    contract_scale: int = Field(default=30, ge=5, description="records the contract kit runs against")


class Definition(_Model):
    """A declarative REST source: one connector type, described in data."""

    version: Literal[1] = 1
    name: Name = Field(description="the connector type (hub.yaml `type:` and the mapping's `connector:`)")
    title: str
    description: str = ""
    documentation: str | None = Field(default=None, description="the vendor's API reference")
    base_url: str = Field(description="e.g. https://api.example.com/{config.tenant}/v1/")
    config: dict[Name, ConfigFieldDef] = Field(default_factory=dict)
    auth: AuthDef
    headers: dict[str, str] = Field(default_factory=dict, description="sent with every request")
    rate_limit: RateLimitDef = Field(default_factory=RateLimitDef)
    check: CheckDef | None = None
    streams: dict[Name, StreamDef] = Field(min_length=1)
    sandbox: SandboxDef | None = None

    def secret_settings(self) -> set[str]:
        return {name for name, spec in self.config.items() if spec.secret}
