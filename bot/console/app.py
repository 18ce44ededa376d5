"""The console's web application: Starlette, Jinja2 templates, no script at all.

Every response carries a strict Content-Security-Policy (nothing but our own
stylesheet may load, no script, no frame), ``no-store`` caching and no referrer. The
session cookie is ``Secure``, ``HttpOnly`` and ``SameSite=Strict``; every form carries
the session's CSRF token, and a POST without it is refused. Pages are found only
within the user's own organisation: anything else is a 404, the same as nothing.
Every view and change goes to the audit log (:mod:`bot.console.audit`).
"""

from __future__ import annotations

import csv
import hmac
import io
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import languages
from bot.console import accounts, audit, cases, dashboard
from bot.console import i18n as console_i18n
from bot.console.i18n import Texts, texts
from bot.console.invitations import Invitation, InvitationError, InvitationStore
from bot.console.sessions import (
    LOGIN_WINDOW_SECONDS,
    PENDING_TOTP_SECONDS,
    Clock,
    ConsoleSession,
    LoginLimiter,
    PendingLogin,
    SessionStore,
)
from bot.reports import crypto
from bot.reports.db import connect
from bot.reports.partners import CATEGORIES, Registry, check_with_trust_file

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
COOKIE = "__Host-console"  # Secure, Path=/, no Domain: no subdomain can set it
IDLE_SECONDS = 15 * 60
MAX_FORM_BYTES = 16 * 1024
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HOME = {"admin": "/admin", "caseworker": "/queue", "consular": "/summaries"}
# A path on this site: "//host" would be another site.
_LOCAL_PATH = re.compile(r"/(?!/)[A-Za-z0-9/_.-]{0,200}")


def language_of(connection: HTTPConnection) -> str:
    """The language a request's pages are in (:func:`bot.console.i18n.negotiate`)."""
    return console_i18n.negotiate(connection.cookies.get(console_i18n.COOKIE),
                                  connection.headers.get("accept-language"))


def _internal_error(connection: HTTPConnection) -> PlainTextResponse:
    tr = texts(language_of(connection))
    return PlainTextResponse(tr.gettext("The console hit an internal error."), 500)


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response, errors included; an exception
    goes no further than here, logged by its class only (its message or traceback could
    hold what a report says), so the server never logs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # noqa: BLE001 - anything, named by class only
            log.error("console: %s while answering a request", type(exc).__name__)
            if not started:
                await _internal_error(HTTPConnection(scope))(scope, receive, send_with_headers)


class FormError(ValueError):
    """A body that is not a small urlencoded form."""


def _when(at: int) -> str:
    return datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class Console:
    """The application and its state: sessions, login limits, database, templates."""

    def __init__(self, database_url: str | None = None, idle_seconds: float = IDLE_SECONDS,
                 clock: Clock = time.time, today: Callable[[], date] = date.today) -> None:
        self.clock = clock
        self.today = today
        self.idle_seconds = idle_seconds
        self.sessions = SessionStore(idle_seconds, clock)
        self.limiter = LoginLimiter(clock)
        self.database = connect(database_url)
        self.totp_steps: dict[str, int] = {}  # user id -> the last TOTP step used
        self.invitations = InvitationStore(clock)
        self._environments: dict[str, Environment] = {}
        routes = [
            Route("/", self.home), Route("/health", self.health),
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/login/totp", self.login_totp, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/language", self.choose_language, methods=["POST"]),
            Route("/queue", self.queue), Route("/reports/{report_id}", self.report),
            Route("/reports/{report_id}/status", self.status, methods=["POST"]),
            Route("/reports/{report_id}/notes", self.note, methods=["POST"]),
            Route("/reports/{report_id}/reply", self.reply, methods=["POST"]),
            Route("/reports/{report_id}/refer", self.refer, methods=["POST"]),
            Route("/summaries", self.summaries), Route("/summaries/{summary_id}", self.summary),
            Route("/admin", self.admin), Route("/admin/audit", self.audit_page),
            Route("/admin/audit.csv", self.audit_csv),
            Route("/admin/users/{user_id}/remove", self.remove_user, methods=["POST"]),
            Route("/admin/invitations", self.invite, methods=["POST"]),
            Route("/admin/invitations/{invitation_id}/cancel", self.cancel_invitation,
                  methods=["POST"]),
            Route("/invitation/{token}", self.invitation_page, methods=["GET"]),
            Route("/invitation/{token}", self.accept_invitation, methods=["POST"]),
            Route("/colleagues", self.colleagues, methods=["GET"]),
            Route("/colleagues/{invitation_id}/key", self.hand_over_key, methods=["POST"]),
            Route("/account", self.account, methods=["GET"]),
            Route("/account", self.change_password, methods=["POST"]),
            Route("/dashboard", self.dashboard), Route("/dashboard.csv", self.dashboard_csv),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        app = Starlette(routes=routes, exception_handlers={
            HTTPException: self._http_error, Exception: self._server_error})
        self.app: ASGIApp = SecurityHeaders(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # -- plumbing -------------------------------------------------------------------------
    def _templates(self, language: str) -> Environment:
        """The templates in one language: Jinja2's i18n extension with that language's
        ``console`` catalog, and filters that show codes, dates and numbers in it."""
        environment = self._environments.get(language)
        if environment is None:
            tr = texts(language)
            environment = Environment(loader=FileSystemLoader(HERE / "templates"),
                                      autoescape=True, undefined=StrictUndefined,
                                      extensions=["jinja2.ext.i18n"])
            environment.policies["ext.i18n.trimmed"] = True
            # Added by the i18n extension, so unknown to the type checker.
            environment.install_gettext_translations(  # type: ignore[attr-defined]
                tr.translations, newstyle=True)
            environment.filters.update({
                "status_label": lambda code: tr.label(console_i18n.STATUS_LABELS, code),
                "category_label": lambda code: tr.label(console_i18n.CATEGORY_LABELS, code),
                "flag_label": lambda code: tr.label(console_i18n.FLAG_LABELS, code),
                "role_label": lambda code: tr.label(console_i18n.ROLE_LABELS, code),
                "language_name": tr.language_name, "number": tr.number,
                "corridor_label": tr.corridor, "topic_label": tr.topic,
                "channel_label": tr.channel,
                "date": tr.date, "when": tr.when,
            })
            environment.globals.update(page_language=language, page_rtl=tr.rtl,
                                       language_choices=console_i18n.choices())
            self._environments[language] = environment
        return environment

    @staticmethod
    def _texts(session: ConsoleSession) -> Texts:
        return texts(session.language)

    def _db(self, work: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        """Run ``work(session, *args)`` in a database session, off the event loop."""
        def run() -> Any:
            with self.database() as session:
                result = work(session, *args)
                session.commit()
                return result
        return run_in_threadpool(run)

    def _audit(self, session: ConsoleSession | None, action: str, target: str = "",
               detail: str = "") -> Awaitable[Any]:
        actor = session.user_id or "" if session else ""
        email = session.email if session else ""
        return self._db(lambda db: audit.record(db, action, actor, email, target, detail,
                                                now=self.clock()))

    def _session(self, request: Request) -> ConsoleSession:
        """The request's session, or a new anonymous one (noting an idle end)."""
        session, expired = self.sessions.get(request.cookies.get(COOKIE))
        language = language_of(request)
        if session is None:
            minutes = int(self.idle_seconds // 60)
            notice = texts(language).ngettext(
                "Your session ended after {count} minute without activity. Please log in "
                "again.", "Your session ended after {count} minutes without activity. "
                "Please log in again.", minutes) if expired else ""
            session = self.sessions.new(notice)
        # This request's language and page, for what it shows and its language selector.
        session.language = language
        session.page = request.url.path if _LOCAL_PATH.fullmatch(request.url.path) else "/"
        return session

    def _render(self, session: ConsoleSession, template: str, status_code: int = 200,
                **values: Any) -> HTMLResponse:
        notice, session.notice = session.notice, ""
        html = self._templates(session.language).get_template(template).render(
            csrf=session.csrf, user=session if session.logged_in else None,
            # An error page's selector goes home: a 404 names no path it was asked for.
            notice=notice, page=session.page if status_code < 400 else "/", **values)
        response = HTMLResponse(html, status_code=status_code)
        self._set_cookie(response, session)
        return response

    def _set_cookie(self, response: Response, session: ConsoleSession) -> None:
        response.set_cookie(COOKIE, session.id, httponly=True, secure=True,
                            samesite="strict", path="/")

    def _redirect(self, session: ConsoleSession, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        self._set_cookie(response, session)
        return response

    async def _form(self, request: Request) -> dict[str, str]:
        if request.headers.get("content-type", "").split(";")[0].strip() != \
                "application/x-www-form-urlencoded":
            raise FormError("not a form")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise FormError("too large")
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError) as exc:
            raise FormError("not a form") from exc
        return {key: values[0] for key, values in fields.items()}

    async def _checked_form(self, request: Request,
                            session: ConsoleSession) -> dict[str, str] | Response:
        """The form if it is one and carries this session's CSRF token, else the refusal."""
        tr = self._texts(session)
        try:
            form = await self._form(request)
        except FormError:
            return self._render(session, "error.html", 400, title=tr.gettext("Bad request"),
                                message=tr.gettext("This request is not a form of the "
                                                   "console."))
        if not hmac.compare_digest(form.get("csrf", "").encode(), session.csrf.encode()):
            path = request.url.path
            if path.startswith("/invitation/"):  # the rest is an invitation's token
                detail = "/invitation/(token)"
            else:
                detail = path if re.fullmatch(r"[/a-z0-9_.-]{1,120}", path) \
                    else "(another path)"
            await self._audit(session, "csrf_rejected", detail=detail)
            return self._render(session, "error.html", 403, title=tr.gettext("Form refused"),
                                message=tr.gettext("This form has expired or did not come "
                                                   "from the console. Go back, reload the "
                                                   "page and try again."))
        return form

    async def _posted(self, request: Request, role: str
                      ) -> tuple[ConsoleSession, dict[str, str]] | Response:
        """A form posted by a logged-in user with ``role``, with its CSRF token checked:
        the session and the form, else the refusal (see :meth:`_require`)."""
        session = self._require(request, role)
        if isinstance(session, Response):
            return session
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        return session, form

    def _require(self, request: Request, role: str) -> ConsoleSession | Response:
        """The logged-in session of a user with ``role``; else the login page (not
        logged in) or a 404 (another role: nothing to see here)."""
        session = self._session(request)
        if not session.logged_in:
            return self._redirect(session, "/login")
        if session.role != role:
            return self._not_found(session)
        return session

    def _not_found(self, session: ConsoleSession) -> HTMLResponse:
        tr = self._texts(session)
        return self._render(session, "error.html", 404, title=tr.gettext("Not found"),
                            message=tr.gettext("There is nothing here."))

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        session = self._session(request)
        if code == 404:
            return self._not_found(session)
        tr = self._texts(session)
        return self._render(session, "error.html", code, title=tr.gettext("Error"),
                            message=tr.gettext("This request cannot be answered."))

    async def _server_error(self, request: Request, exc: Exception) -> Response:
        """The answer to an error; :class:`SecurityHeaders` logs its class."""
        return _internal_error(request)

    # -- pages ----------------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(self, request: Request) -> Response:
        session = self._session(request)
        if not session.logged_in:
            return self._redirect(session, "/login")
        return self._redirect(session, HOME[session.role])

    async def login_page(self, request: Request) -> Response:
        session = self._session(request)
        if session.logged_in:
            return self._redirect(session, HOME[session.role])
        return self._render(session, "login.html", error="")

    async def login(self, request: Request) -> Response:
        session = self._session(request)
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        email = accounts.normalise_email(form.get("email", ""))[:254]
        address = request.client.host if request.client else ""
        if self.limiter.blocked(email, address):
            await self._audit(None, "login_blocked",
                              target=await self._db(accounts.user_id_for, email))
            return self._render(session, "login.html", 429,
                                error=self._too_many(session))
        unlocked = await self._db(accounts.authenticate, email, form.get("password", ""))
        if unlocked is None:
            self.limiter.failed(email, address)
            # The account aimed at, if there is one; never the email typed (it may be a
            # password typed in the wrong field).
            await self._audit(None, "login_failed",
                              target=await self._db(accounts.user_id_for, email))
            return self._render(session, "login.html", 401, error=self._texts(session).gettext(
                "This email and password do not match an account."))
        user = unlocked.user
        if unlocked.totp_secret:
            key = bytearray(unlocked.private_key) if unlocked.private_key else None
            session.pending = PendingLogin(user.id, user.email, user.role, user.organisation,
                                           key, unlocked.totp_secret, self.clock())
            return self._render(session, "totp.html", error="")
        self.limiter.succeeded(email)
        return await self._logged_in(session, user.id, user.email, user.role,
                                     user.organisation, unlocked.private_key)

    def _too_many(self, session: ConsoleSession) -> str:
        minutes = LOGIN_WINDOW_SECONDS // 60
        return self._texts(session).ngettext(
            "Too many failed attempts. Wait {count} minute and try again.",
            "Too many failed attempts. Wait {count} minutes and try again.", minutes)

    async def login_totp(self, request: Request) -> Response:
        session = self._session(request)
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        pending = session.pending
        if pending is None or self.clock() - pending.started > PENDING_TOTP_SECONDS:
            session.wipe()
            return self._render(session, "login.html", 401, error=self._texts(session).gettext(
                "Please start again with your email and password."))
        address = request.client.host if request.client else ""
        if self.limiter.blocked(pending.email, address):
            session.wipe()
            await self._audit(None, "login_blocked")
            return self._render(session, "login.html", 429,
                                error=self._too_many(session))
        step = accounts.totp_ok(pending.totp_secret, form.get("code", ""), self.clock())
        if step is None or step <= self.totp_steps.get(pending.user_id, -1):
            self.limiter.failed(pending.email, address)
            await self._audit(None, "totp_failed", target=pending.user_id)
            return self._render(session, "totp.html", 401, error=self._texts(session).gettext(
                "This code is not right, or was used already."))
        self.totp_steps[pending.user_id] = step
        self.limiter.succeeded(pending.email)
        key = bytes(pending.private_key) if pending.private_key is not None else None
        session.wipe()
        return await self._logged_in(session, pending.user_id, pending.email, pending.role,
                                     pending.organisation, key)

    async def _logged_in(self, old: ConsoleSession, user_id: str, email: str, role: str,
                         organisation: str | None, key: bytes | None) -> Response:
        session = self.sessions.rotate(old)  # a new id: no session fixation
        session.user_id, session.email, session.role = user_id, email, role
        session.organisation = organisation
        session.private_key = bytearray(key) if key is not None else None
        await self._audit(session, "login")
        return self._redirect(session, HOME[role])

    async def logout(self, request: Request) -> Response:
        session = self._session(request)
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        if session.logged_in:
            await self._audit(session, "logout")
        self.sessions.end(session.id)
        fresh = self.sessions.new(self._texts(session).gettext("You are logged out."))
        return self._redirect(fresh, "/login")

    async def choose_language(self, request: Request) -> Response:
        """The language selector: the choice is kept in a cookie of its own (a code,
        nothing else), then the page it was made on is shown again."""
        session = self._session(request)
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        page = form.get("page", "")
        response = self._redirect(session, page if _LOCAL_PATH.fullmatch(page) else "/")
        language = form.get("language", "")
        if language in console_i18n.LANGUAGES:
            response.set_cookie(console_i18n.COOKIE, language,
                                max_age=console_i18n.COOKIE_MAX_AGE, httponly=True,
                                secure=True, samesite="strict", path="/")
        return response

    async def queue(self, request: Request) -> Response:
        session = self._require(request, "caseworker")
        if isinstance(session, Response):
            return session
        query = request.query_params
        filters = cases.Filters(
            country=query.get("country", "") if re.fullmatch(
                r"[A-Z]{2}", query.get("country", "")) else "",
            category=query.get("category", "") if query.get("category") in CATEGORIES else "",
            status=query.get("status", "") if query.get("status") in cases.STATUSES else "",
            language=query.get("language", "") if query.get("language") in languages.CODES
            else "")
        rows = await self._db(cases.queue, session.organisation, session.key(), self.today(),
                              filters)
        shown = {k: v for k, v in vars(filters).items() if v}
        await self._audit(session, "queue_view", detail=urlencode(shown))
        return self._render(session, "queue.html", rows=rows, filters=filters,
                            categories=CATEGORIES, statuses=cases.STATUSES,
                            language_codes=languages.CODES)

    async def report(self, request: Request) -> Response:
        session = self._require(request, "caseworker")
        if isinstance(session, Response):
            return session
        report_id = request.path_params["report_id"]
        opened = await self._db(cases.open_report, session.organisation, report_id,
                                session.key(), self.today())
        target = report_id if cases.valid_id(report_id) else ""
        if opened is None:
            await self._audit(session, "report_not_found", target=target)
            return self._not_found(session)
        await self._audit(session, "report_view", target=report_id)
        others = [p for p in await run_in_threadpool(_partners_in_force)
                  if p.id != session.organisation]
        return self._render(session, "report.html", report=opened, statuses=cases.STATUSES,
                            partners=others, max_text=cases.MAX_TEXT_CHARS)

    async def _report_action(self, request: Request, action: str,
                             work: Callable[..., bool | str | None],
                             back: str = "") -> Response:
        """A POST on one of the caseworker's reports: CSRF checked, ``work(db, session,
        form)`` run, audited as ``action`` (or ``action`` + ``_refused``), back to the page."""
        posted = await self._posted(request, "caseworker")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        report_id = request.path_params["report_id"]
        done = await self._db(work, session, report_id, form)
        target = report_id if cases.valid_id(report_id) else ""
        if not done:
            await self._audit(session, f"{action}_refused", target=target)
            return self._not_found(session)
        await self._audit(session, action, target=target,
                          detail=done if isinstance(done, str) else "")
        return self._redirect(session, back or f"/reports/{report_id}")

    async def note(self, request: Request) -> Response:
        def work(db: Any, session: ConsoleSession, report_id: str, form: dict) -> bool:
            author, organisation, key = session.holder()
            return cases.add_note(db, organisation, report_id, key, author,
                                  form.get("text", ""), self.today())
        return await self._report_action(request, "note_added", work)

    async def reply(self, request: Request) -> Response:
        def work(db: Any, session: ConsoleSession, report_id: str, form: dict) -> bool:
            author, organisation, key = session.holder()
            return cases.reply(db, organisation, report_id, key, author,
                               form.get("text", ""), self.today())
        return await self._report_action(request, "reply_sent", work)

    async def refer(self, request: Request) -> Response:
        partners = {p.id: p for p in await run_in_threadpool(_partners_in_force)}

        def work(db: Any, session: ConsoleSession, report_id: str, form: dict) -> str | None:
            target = partners.get(form.get("partner", ""))
            _author, organisation, key = session.holder()
            if target is None or not cases.refer(db, organisation, report_id, key, target,
                                                  self.today()):
                return None
            session.notice = self._texts(session).gettext(
                "The report was referred to {partner}.", partner=target.name)
            return f"to {target.id}"
        return await self._report_action(request, "referred", work, back="/queue")

    async def status(self, request: Request) -> Response:
        posted = await self._posted(request, "caseworker")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        report_id, status = request.path_params["report_id"], form.get("status", "")
        before = await self._db(cases.set_status, session.organisation, report_id, status,
                                self.today())
        if before is None:
            await self._audit(session, "status_refused",
                              target=report_id if cases.valid_id(report_id) else "")
            return self._not_found(session)
        await self._audit(session, "status_change", target=report_id,
                          detail=f"{before}->{status}")
        return self._redirect(session, f"/reports/{report_id}")

    async def summaries(self, request: Request) -> Response:
        session = self._require(request, "consular")
        if isinstance(session, Response):
            return session
        rows = await self._db(cases.summaries, session.organisation, session.key())
        await self._audit(session, "summaries_view")
        return self._render(session, "summaries.html", rows=rows)

    async def summary(self, request: Request) -> Response:
        session = self._require(request, "consular")
        if isinstance(session, Response):
            return session
        summary_id = request.path_params["summary_id"]
        row = await self._db(cases.open_summary, session.organisation, summary_id,
                             session.key())
        if row is None:
            await self._audit(session, "summary_not_found",
                              target=summary_id if cases.valid_id(summary_id) else "")
            return self._not_found(session)
        await self._audit(session, "summary_view", target=summary_id)
        return self._render(session, "summary.html", row=row)

    async def admin(self, request: Request) -> Response:
        session = self._require(request, "admin")
        if isinstance(session, Response):
            return session
        await self._audit(session, "admin_view")
        return await self._admin_page(session)

    async def _admin_page(self, session: ConsoleSession, status_code: int = 200,
                          error: str = "", asked: dict[str, str] | None = None) -> Response:
        """Users, invitations (with the form to invite, filled with ``asked`` after an
        ``error``) and the registry."""
        from bot.reports.runtime import partners_file

        users = await self._db(accounts.users)
        registry, problems = await run_in_threadpool(check_with_trust_file, partners_file())
        return self._render(session, "admin.html", status_code, users=users, registry=registry,
                            problems=problems, invitations=self.invitations.pending(),
                            lifetime=self.invitations.lifetime, roles=accounts.ROLES,
                            error=error, asked=asked or {})

    async def audit_page(self, request: Request) -> Response:
        session = self._require(request, "admin")
        if isinstance(session, Response):
            return session
        await self._audit(session, "audit_view")

        def read(db: Any) -> tuple[audit.Verification, list, str]:
            return audit.verify(db), audit.entries(db), audit.head(db)

        verification, entries, head = await self._db(read)
        return self._render(session, "audit.html", verification=verification,
                            entries=entries, head=head)

    async def remove_user(self, request: Request) -> Response:
        posted = await self._posted(request, "admin")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        user_id = request.path_params["user_id"]
        if user_id == session.user_id or not cases.valid_id(user_id):
            return self._not_found(session)
        removed = await self._db(accounts.remove_user, user_id)
        if removed is None:
            return self._not_found(session)
        self.sessions.end_user(user_id)
        await self._audit(session, "user_removed", target=user_id,
                          detail=f"{removed.role} {removed.organisation or ''}".strip())
        session.notice = self._texts(session).gettext(
            "{email} was removed and logged out.", email=removed.email)
        return self._redirect(session, "/admin")

    # -- invitations (bot/console/invitations.py) ---------------------------------------
    def _audit_as(self, actor: str, email: str, action: str, target: str = "",
                  detail: str = "") -> Awaitable[Any]:
        """An entry for someone not logged in here: an invitee, by their invitation."""
        return self._db(lambda db: audit.record(db, action, actor, email, target, detail,
                                                now=self.clock()))

    def _invitation_problem(self, tr: Texts, email: str, role: str, organisation: str,
                            registry: Registry) -> str:
        """Why this invitation cannot be made ("" if it can), in the admin's language."""
        if not accounts.valid_email(email):
            return tr.gettext("This email address does not look like one.")
        if role not in accounts.ROLES:
            return tr.gettext("Choose a role.")
        if role == "admin" and organisation:
            return tr.gettext("An administrator belongs to no organisation.")
        entries = registry.partners if role == "caseworker" else registry.consulates
        if role != "admin" and organisation not in {entry.id for entry in entries}:
            return tr.gettext("A caseworker works for a vetted partner, a consular reviewer "
                              "for a vetted consulate: choose theirs.")
        return ""

    async def invite(self, request: Request) -> Response:
        """An administrator invites someone: the link is shown once, on this page."""
        posted = await self._posted(request, "admin")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        from bot.reports.runtime import partners_file

        tr = self._texts(session)
        email = accounts.normalise_email(form.get("email", ""))[:254]
        role, organisation = form.get("role", ""), form.get("organisation", "")
        asked = {"email": email, "role": role, "organisation": organisation}
        registry, _problems = await run_in_threadpool(check_with_trust_file, partners_file())
        error = self._invitation_problem(tr, email, role, organisation, registry)
        if not error and await self._db(accounts.email_taken, email):
            error = tr.gettext("An account with this email exists.")
        invitation = token = None
        if not error:
            try:
                invitation, token = self.invitations.create(email, role, organisation)
            except InvitationError:
                error = tr.gettext("An invitation for this email is pending already: cancel "
                                   "it first, or wait until it ends.")
        if invitation is None or token is None:
            await self._audit(session, "invitation_refused")
            return await self._admin_page(session, 400, error, asked)
        await self._audit(session, "invitation_created", target=invitation.id,
                          detail=f"{role} {organisation}".strip())
        return self._render(session, "invited.html", invitation=invitation,
                            link=f"{_site(request)}/invitation/{token}",
                            lifetime=self.invitations.lifetime)

    async def cancel_invitation(self, request: Request) -> Response:
        posted = await self._posted(request, "admin")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        ended = self.invitations.end(request.path_params["invitation_id"])
        if ended is None:
            return self._not_found(session)
        await self._audit(session, "invitation_cancelled", target=ended.id,
                          detail=f"{ended.role} {ended.organisation or ''}".strip())
        session.notice = self._texts(session).gettext(
            "The invitation of {email} was cancelled.", email=ended.email)
        return self._redirect(session, "/admin")

    async def _invitation_of(self, request: Request,
                             session: ConsoleSession) -> Invitation | Response:
        """The invitation of the link's token, or a 404 (audited, without the token)."""
        invitation = self.invitations.by_token(request.path_params["token"][:100])
        if invitation is None:
            await self._audit_as("", "", "invitation_not_found")
            return self._not_found(session)
        return invitation

    def _invitation_form(self, session: ConsoleSession, invitation: Invitation,
                         status_code: int = 200, error: str = "") -> HTMLResponse:
        return self._render(session, "invitation.html", status_code, invitation=invitation,
                            error=error, min_password=accounts.MIN_PASSWORD_CHARS,
                            lifetime=self.invitations.lifetime)

    async def invitation_page(self, request: Request) -> Response:
        """The invitee chooses a password (or reads that they are waiting for the key)."""
        session = self._session(request)
        invitation = await self._invitation_of(request, session)
        if isinstance(invitation, Response):
            return invitation
        return self._invitation_form(session, invitation)

    async def accept_invitation(self, request: Request) -> Response:
        session = self._session(request)
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        invitation = await self._invitation_of(request, session)
        if isinstance(invitation, Response):
            return invitation
        tr = self._texts(session)
        if invitation.waiting_for_key:
            return self._invitation_form(session, invitation, 409, tr.gettext(
                "Your password is set already."))
        chosen = form.get("password", "")
        if chosen != form.get("again", ""):
            return self._invitation_form(session, invitation, 400,
                                         tr.gettext("The two passwords differ."))
        try:
            password = await run_in_threadpool(accounts.new_password, chosen)
        except accounts.AccountError:  # the only one: a password too short or too long
            return self._invitation_form(session, invitation, 400, tr.gettext(
                "The password must have {shortest} to {longest} characters.",
                shortest=tr.number(accounts.MIN_PASSWORD_CHARS),
                longest=tr.number(accounts.MAX_PASSWORD_CHARS)))
        detail = f"{invitation.role} {invitation.organisation or ''}".strip()
        if invitation.role != "admin":
            if not self.invitations.accept(invitation.id, password):
                password.wipe()
                return self._not_found(session)
            await self._audit_as("", invitation.email, "invitation_accepted",
                                 invitation.id, detail)
            return self._invitation_form(session, invitation)
        # An administrator holds no key: the account is made now.
        self.invitations.end(invitation.id)
        try:
            user = await self._db(accounts.add_invited_user, invitation.email, "admin",
                                  password, None, None, self.today())
        except accounts.AccountError:  # an account with this email was made meanwhile
            await self._audit_as("", invitation.email, "invitation_refused", invitation.id)
            return self._render(session, "error.html", 409, title=tr.gettext("Not done"),
                                message=tr.gettext("An account with this email exists."))
        finally:
            password.wipe()
        await self._audit_as(user.id, user.email, "user_added", user.id, detail)
        session.notice = tr.gettext("Your account is ready: log in with your email and your "
                                    "new password.")
        return self._redirect(session, "/login")

    def _keyholder(self, request: Request) -> ConsoleSession | Response:
        """A caseworker's or consular reviewer's session, holding their organisation's key."""
        session = self._session(request)
        if not session.logged_in:
            return self._redirect(session, "/login")
        if session.role not in ("caseworker", "consular") or not session.organisation \
                or session.private_key is None:
            return self._not_found(session)
        return session

    async def colleagues(self, request: Request) -> Response:
        """The invitees of this organisation waiting for its key."""
        session = self._keyholder(request)
        if isinstance(session, Response):
            return session
        await self._audit(session, "colleagues_view")
        waiting = self.invitations.waiting_for(session.role, session.organisation or "")
        return self._render(session, "colleagues.html", waiting=waiting)

    async def hand_over_key(self, request: Request) -> Response:
        """Wrap the organisation's key, from this session, with an invitee's password key:
        their account is made. The key must be the vetted entry's own."""
        session = self._keyholder(request)
        if isinstance(session, Response):
            return session
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        invitation_id = request.path_params["invitation_id"]
        target = invitation_id if cases.valid_id(invitation_id) else ""
        invitation = self.invitations.take(invitation_id, session.role,
                                           session.organisation or "")
        if invitation is None or invitation.password is None:
            await self._audit(session, "key_handover_refused", target=target)
            return self._not_found(session)
        tr = self._texts(session)
        key = session.key() or b""
        detail = f"{invitation.role} {invitation.organisation}"
        try:
            registry = await run_in_threadpool(_registry_in_force)
            if registry is None:
                raise accounts.AccountError("the registry in force is refused")
            accounts.check_key(registry, invitation.role, invitation.organisation or "",
                               crypto.b64(key))
            user = await self._db(accounts.add_invited_user, invitation.email,
                                  invitation.role, invitation.password,
                                  invitation.organisation, key, self.today())
        except accounts.AccountError:
            await self._audit(session, "key_handover_refused", target=target, detail=detail)
            return self._render(session, "error.html", 409, title=tr.gettext("Not done"),
                                message=tr.gettext(
                                    "The key was not handed over: the account exists "
                                    "already, or your organisation's key is not the one "
                                    "vetted in the registry. The invitation is cancelled."))
        finally:
            invitation.wipe()
        await self._audit(session, "user_added", target=user.id, detail=detail)
        session.notice = tr.gettext("{email} can now log in.", email=user.email)
        return self._redirect(session, "/colleagues")

    def _logged_in_session(self, request: Request) -> ConsoleSession | Response:
        session = self._session(request)
        return session if session.logged_in else self._redirect(session, "/login")

    async def account(self, request: Request) -> Response:
        session = self._logged_in_session(request)
        if isinstance(session, Response):
            return session
        return self._render(session, "account.html", error="",
                            min_password=accounts.MIN_PASSWORD_CHARS)

    async def change_password(self, request: Request) -> Response:
        session = self._logged_in_session(request)
        if isinstance(session, Response):
            return session
        form = await self._checked_form(request, session)
        if isinstance(form, Response):
            return form
        tr = self._texts(session)
        new = form.get("new", "")
        if new != form.get("again", ""):
            return self._render(session, "account.html", 400,
                                error=tr.gettext("The two new passwords differ."),
                                min_password=accounts.MIN_PASSWORD_CHARS)
        try:
            changed = await self._db(accounts.change_password, session.user_id,
                                     form.get("current", ""), new)
        except accounts.AccountError:  # the only one: a password too short or too long
            return self._render(session, "account.html", 400, error=tr.gettext(
                "The password must have {shortest} to {longest} characters.",
                shortest=tr.number(accounts.MIN_PASSWORD_CHARS),
                longest=tr.number(accounts.MAX_PASSWORD_CHARS)),
                min_password=accounts.MIN_PASSWORD_CHARS)
        if not changed:
            await self._audit(session, "password_change_refused")
            return self._render(session, "account.html", 401,
                                error=tr.gettext("The current password is not right."),
                                min_password=accounts.MIN_PASSWORD_CHARS)
        await self._audit(session, "password_changed")
        session.notice = tr.gettext("Your password was changed.")
        return self._redirect(session, HOME[session.role])

    async def audit_csv(self, request: Request) -> Response:
        """The whole log, oldest first, with its hashes, to check or keep elsewhere."""
        session = self._require(request, "admin")
        if isinstance(session, Response):
            return session
        await self._audit(session, "audit_export")
        entries = await self._db(lambda db: audit.entries(db, limit=None))
        return _download(_audit_csv(entries), "audit-log.csv")

    def _dashboard_session(self, request: Request) -> ConsoleSession | Response:
        """Administrators and caseworkers see the aggregates (no personal data in them)."""
        session = self._session(request)
        if not session.logged_in:
            return self._redirect(session, "/login")
        if session.role not in ("admin", "caseworker"):
            return self._not_found(session)
        return session

    async def dashboard(self, request: Request) -> Response:
        session = self._dashboard_session(request)
        if isinstance(session, Response):
            return session
        table = await self._db(dashboard.counts)
        await self._audit(session, "dashboard_view")
        charts = {dimension: dashboard.bars(rows) for dimension, rows in table.items()}
        return self._render(session, "dashboard.html", table=table, charts=charts)

    async def dashboard_csv(self, request: Request) -> Response:
        session = self._dashboard_session(request)
        if isinstance(session, Response):
            return session
        table = await self._db(dashboard.counts)
        await self._audit(session, "dashboard_export")
        return _download(dashboard.to_csv(table), "dashboard-indicators.csv")


def _download(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _audit_csv(entries: list) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["seq", "at", "when", "actor", "actor_email", "action", "target",
                     "detail", "prev_hash", "hash"])
    for e in sorted(entries, key=lambda e: e.seq):
        writer.writerow([e.seq, e.at, _when(e.at), e.actor, e.actor_email, e.action, e.target,
                         e.detail, e.prev_hash, e.hash])
    return out.getvalue()


def _site(request: Request) -> str:
    """This console's address as the administrator's browser asked for it: https, except
    on this machine (behind a TLS proxy, the request the console sees is plain http)."""
    local = request.url.hostname in ("127.0.0.1", "localhost")
    return f"{'http' if local else 'https'}://{request.url.netloc}"


def _registry_in_force() -> Registry | None:
    """The vetted registry the bot uses, or None while it is refused."""
    from bot.reports.partners import PartnerRegistryError
    from bot.reports.runtime import registry

    try:
        return registry()
    except PartnerRegistryError:
        return None


def _partners_in_force() -> list:
    """The vetted partners reports may be referred to (none while the registry is refused)."""
    from bot.reports.partners import PartnerRegistryError
    from bot.reports.runtime import registry

    try:
        return registry().partners
    except PartnerRegistryError:
        return []


def create_app(database_url: str | None = None, idle_seconds: float = IDLE_SECONDS,
               clock: Clock = time.time, today: Callable[[], date] = date.today) -> Console:
    """The console on ``database_url`` (default ``BOT_DATABASE_URL``)."""
    return Console(database_url, idle_seconds, clock, today)
