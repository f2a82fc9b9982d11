"""The few HTML pages a person sees: sign-in and consent, and provider error pages.

They are plain forms so that tests can drive them with `requests` (GET the page, read
the hidden ``txn`` field, POST the form) and a browser test can click through them.
"""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem} .who{color:#555} label{display:block;margin:.4rem 0}
.scopes{border:1px solid #ddd;padding:.5rem 1rem;border-radius:6px}
button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem} .err{color:#b00020}
.note{font-size:.8rem;color:#777;margin-top:2rem}
"""


def page(title: str, body: str, brand: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><main><p class='who'>{escape(brand)} "
        f"(emulated)</p>{body}</main></body></html>"
    )


def account_choices(accounts: list[tuple[str, str]], selected: str | None) -> str:
    if not accounts:
        return "<p class='err'>No emulated account can sign in here.</p>"
    rows = []
    for index, (email, name) in enumerate(accounts):
        checked = (
            " checked" if (selected and email == selected) or (not selected and index == 0) else ""
        )
        rows.append(
            f"<label><input type='radio' name='account' value='{escape(email)}'{checked}> "
            f"{escape(name)} &lt;{escape(email)}&gt;</label>"
        )
    return "".join(rows)


def consent_page(
    *,
    brand: str,
    app_name: str,
    action: str,
    txn: str,
    accounts: list[tuple[str, str]],
    selected: str | None,
    scopes: list[tuple[str, bool]],
    accept: str,
    decline: str,
    heading: str,
) -> str:
    """Pick an account, review (and for Google untick) scopes, then accept or decline.

    `scopes` pairs each scope with whether the person may untick it; fixed ones are
    sent as hidden fields so the form always carries the full granted set.
    """
    scope_rows = []
    for scope, optional in scopes:
        if optional:
            scope_rows.append(
                f"<label><input type='checkbox' name='scope' value='{escape(scope)}' checked> "
                f"{escape(scope)}</label>"
            )
        else:
            scope_rows.append(
                f"<input type='hidden' name='scope' value='{escape(scope)}'>"
                f"<label>&#10003; {escape(scope)}</label>"
            )
    body = (
        f"<h1>{escape(heading)}</h1><p><b>{escape(app_name)}</b> wants to access your "
        f"account.</p><form method='post' action='{escape(action)}'>"
        f"<input type='hidden' name='txn' value='{escape(txn)}'>"
        f"<fieldset><legend>Account</legend>{account_choices(accounts, selected)}</fieldset>"
        f"<p>It asks for:</p><div class='scopes'>{''.join(scope_rows)}</div>"
        f"<button type='submit' name='decision' value='accept'>{escape(accept)}</button>"
        f"<button type='submit' name='decision' value='decline'>{escape(decline)}</button>"
        f"</form>"
    )
    return page(heading, body, brand)


def error_page(
    *, brand: str, title: str, message: str, code: str, back_url: str | None = None, back: str = ""
) -> str:
    """A provider's own error page; `back_url` is a way back to the app, when it offers one."""
    link = ""
    if back_url:
        link = f"<p><a id='back' href='{escape(back_url)}'>{escape(back)}</a></p>"
    body = (
        f"<h1 class='err'>{escape(title)}</h1><p>{escape(message)}</p>"
        f"<p class='err'><code>{escape(code)}</code></p>{link}"
    )
    return page(title, body, brand)
