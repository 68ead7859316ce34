"""The follow page a ticket's QR opens (``GET /q/{token}``): the citizen's place in the queue on a phone.

One small HTML document, no framework and nothing fetched from elsewhere (inline CSS and script, a
Content-Security-Policy that forbids the rest), so it opens fast on a weak phone connection in the
ward's yard. The server fills in the first state, so the page says something useful before (or
without) its script; the script then polls ``GET /api/v1/queue/status/{token}`` every few seconds
and rewrites the texts. Vietnamese by default with a switch to English (``?lang=en`` opens in
English). Nothing personal is on it: the number, the service, people ahead, the counter.
"""

from __future__ import annotations

from html import escape
from typing import Any

#: How often the page asks for its status. A counter serves a citizen in minutes; 3 s is "live" to a
#: person and still only one small request per phone every 3 s.
POLL_SECONDS = 3

#: The headers both pages are sent with: no cache (the state changes), no referrer (the token is in the URL),
#: no indexing, and nothing loaded from anywhere but this page itself and its own status URL.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                                "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; "
                                "frame-ancestors 'none'"),
}

_CSS = """
*{box-sizing:border-box}
html{font-size:20px;-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.4;
 color:#111;background:#fff}
main{max-width:32rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:center;gap:.5rem}
h1{font-size:1.1rem;margin:0}
button{font:inherit;font-size:1rem;min-height:48px;min-width:48px;padding:.4rem .9rem;border:2px solid #0b3d91;
 border-radius:.5rem;background:#fff;color:#0b3d91}
button:focus-visible{outline:3px solid #e8a400;outline-offset:2px}
.number{font-size:4.5rem;font-weight:700;text-align:center;margin:.5rem 0 0;letter-spacing:.05em}
.area{font-size:1.25rem;text-align:center;margin:0 0 1rem}
.state{font-size:1.5rem;font-weight:700;text-align:center;padding:1rem;border-radius:.75rem;background:#eef3fb;
 margin:0 0 1rem}
.state.called{background:#0b6b2e;color:#fff;font-size:1.9rem}
.wait{font-size:1.15rem;text-align:center;margin:0 0 1rem}
.note{font-size:.9rem;color:#444;text-align:center}
.en{display:none}
body.show-en .en{display:revert}
body.show-en .vi{display:none}
@media (prefers-color-scheme:dark){body{background:#111;color:#f2f2f2}.state{background:#1d2a40}
 .note{color:#bbb}button{background:#111;color:#9cc3ff;border-color:#9cc3ff}}
"""

_SCRIPT = """
(function(){
var root=document.body, url=root.getAttribute('data-status-url'), every=+root.getAttribute('data-poll-ms');
function say(id,vi,en){var e=document.getElementById(id);
 e.querySelector('.vi').textContent=vi;e.querySelector('.en').textContent=en;}
function show(s){
 var st=document.getElementById('state');
 if(s.called){st.className='state called';
  say('state','M\\u1eddi \\u0111\\u1ebfn qu\\u1ea7y '+s.counter,'Please go to counter '+s.counter);
  say('wait','\\u0110\\u1ebfn l\\u01b0\\u1ee3t b\\u1ea1n','It is your turn');}
 else{st.className='state';
  say('state','S\\u1ed1 ng\\u01b0\\u1eddi ch\\u1edd tr\\u01b0\\u1edbc b\\u1ea1n: '+s.people_ahead,
      'People ahead of you: '+s.people_ahead);
  say('wait','Th\\u1eddi gian ch\\u1edd d\\u1ef1 ki\\u1ebfn: kho\\u1ea3ng '+s.estimated_wait_minutes+' ph\\u00fat',
      'Estimated wait: about '+s.estimated_wait_minutes+' minutes');}
 root.setAttribute('data-people-ahead',s.people_ahead);root.setAttribute('data-called',s.called?'1':'0');
 var d=new Date();say('updated','C\\u1eadp nh\\u1eadt l\\u00fac '+d.toLocaleTimeString('vi-VN'),
  'Updated at '+d.toLocaleTimeString('en-GB'));}
function tick(){
 var x=new XMLHttpRequest();x.open('GET',url);x.setRequestHeader('Accept','application/json');
 x.onload=function(){if(x.status===200){try{var s=JSON.parse(x.responseText);show(s);if(s.called)return;}catch(e){}}
  else if(x.status===404){location.reload();return;}
  setTimeout(tick,every);};
 x.onerror=function(){setTimeout(tick,every);};x.send();}
document.getElementById('lang').addEventListener('click',function(){
 var en=!root.classList.contains('show-en');root.classList.toggle('show-en',en);
 document.documentElement.lang=en?'en':'vi';});
setTimeout(tick,every);
})();
"""


def _both(vi: str, en: str) -> str:
    """A text in both languages; the page shows one (the switch), screen readers read it in its language."""
    return f'<span class="vi" lang="vi">{escape(vi)}</span><span class="en" lang="en">{escape(en)}</span>'


def follow_page(status: dict[str, Any], status_url: str, lang: str = "vi") -> str:
    """The follow page for one ticket, showing ``status`` (contract TicketStatus) until its script updates it."""
    en = lang == "en"
    area_name = status.get("area_name") or {"vi": status["area"], "en": status["area"]}
    if status["called"]:
        state_class, state = "state called", _both(f"Mời đến quầy {status['counter']}",
                                                   f"Please go to counter {status['counter']}")
        wait = _both("Đến lượt bạn", "It is your turn")
    else:
        ahead, minutes = status["people_ahead"], status["estimated_wait_minutes"]
        state_class, state = "state", _both(f"Số người chờ trước bạn: {ahead}", f"People ahead of you: {ahead}")
        wait = _both(f"Thời gian chờ dự kiến: khoảng {minutes} phút", f"Estimated wait: about {minutes} minutes")
    priority = (f'<p class="area">{_both("Ưu tiên", "Priority")}</p>' if status["priority"] else "")
    return f"""<!doctype html>
<html lang="{'en' if en else 'vi'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>Số {escape(status['number'])} · Theo dõi lượt / Follow your turn</title>
<style>{_CSS}</style>
<noscript><meta http-equiv="refresh" content="30"></noscript>
</head>
<body class="{'show-en' if en else ''}" data-status-url="{escape(status_url)}" data-poll-ms="{POLL_SECONDS * 1000}"
 data-people-ahead="{status['people_ahead']}" data-called="{1 if status['called'] else 0}">
<main>
<header>
<h1>{_both("Theo dõi lượt của bạn", "Follow your turn")}</h1>
<button id="lang" type="button">{_both("English", "Tiếng Việt")}</button>
</header>
<p class="note">{_both("Số thứ tự của bạn", "Your queue number")}</p>
<p class="number" id="number">{escape(status['number'])}</p>
<p class="area" id="area">{_both(area_name.get('vi', ''), area_name.get('en', ''))}</p>
{priority}
<div role="status" aria-live="polite">
<p class="{state_class}" id="state">{state}</p>
<p class="wait" id="wait">{wait}</p>
</div>
<p class="note" id="updated">{_both("Trang tự cập nhật vài giây một lần.",
                                   "This page updates itself every few seconds.")}</p>
<p class="note">{_both("Vui lòng có mặt tại phòng chờ khi còn ít người trước bạn.",
                       "Please be back in the waiting room when few people are ahead of you.")}</p>
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def not_found_page() -> str:
    """The plain page for an unknown (or expired) token: says so in both languages, no script."""
    return """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Không tìm thấy / Not found</title>
<style>body{margin:0;font-family:system-ui,sans-serif;font-size:20px;line-height:1.4;color:#111;background:#fff}
main{max-width:32rem;margin:0 auto;padding:1.5rem}h1{font-size:1.5rem}</style>
</head>
<body>
<main>
<h1>Không tìm thấy lượt này</h1>
<p>Mã trên vé không đúng hoặc vé đã hết hạn. Vui lòng hỏi cán bộ tại quầy.</p>
<h1 lang="en">Not found</h1>
<p lang="en">The code on the ticket is wrong or the ticket has expired. Please ask an officer at the counter.</p>
</main>
</body>
</html>
"""
