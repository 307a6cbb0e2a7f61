// The report's style sheet: light and dark (prefers-color-scheme), one
// column on narrow windows, system fonts only.
#include "report_parts.hpp"

namespace kmq::report {

const char* report_css() {
  return R"kmq(
:root{--bg:#f4f6f9;--card:#fff;--ink:#1b1f24;--muted:#5c6573;--line:#e0e4ea;--accent:#3563e9;--accent-ink:#fff;
--grid:#eceff3;--plot-bg:#fbfcfd;--s0:#3563e9;--s1:#e8590c;--mark:#d6336c;--checker-a:#e9ecf0;--checker-b:#fff;
--shadow:0 1px 2px rgba(16,24,40,.05),0 6px 18px rgba(16,24,40,.05);--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--card:#171b21;--ink:#e7eaef;--muted:#9aa4b2;--line:#2a3039;
--accent:#7ea2ff;--accent-ink:#0b1020;--grid:#232931;--plot-bg:#13171c;--s0:#7ea2ff;--s1:#ffa94d;--mark:#f783ac;
--checker-a:#22272e;--checker-b:#2c323a;--shadow:0 1px 2px rgba(0,0,0,.4)}}
*{box-sizing:border-box}
html{scroll-behavior:smooth;scroll-padding-top:58px}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-text-size-adjust:100%}
.wrap{max-width:1180px;margin:0 auto;padding:0 20px}
a{color:var(--accent)}
code{font-family:var(--mono);font-size:.92em}
header.top{background:linear-gradient(120deg,#172036 0%,#2c4fb8 55%,#6b47d6 100%);color:#fff;padding:30px 0 26px}
.kicker{margin:0;text-transform:uppercase;letter-spacing:.09em;font-size:12px;opacity:.78}
h1{margin:4px 0 6px;font-size:30px;line-height:1.2;overflow-wrap:anywhere}
h1 .to{font-weight:400;opacity:.82}
.sub{margin:0;opacity:.9;font-variant-numeric:tabular-nums}
nav.toc{position:sticky;top:0;z-index:10;background:var(--card);border-bottom:1px solid var(--line);box-shadow:var(--shadow)}
nav.toc .wrap{display:flex;gap:2px;overflow-x:auto;padding-top:7px;padding-bottom:7px;scrollbar-width:none}
nav.toc a{color:var(--muted);text-decoration:none;padding:4px 11px;border-radius:999px;white-space:nowrap;font-size:14px;font-weight:500}
nav.toc a:hover{background:var(--bg);color:var(--ink)}
section{background:var(--card);border:1px solid var(--line);border-radius:14px;box-shadow:var(--shadow);padding:22px 24px;margin:20px 0}
h2{margin:0 0 6px;font-size:21px;letter-spacing:-.01em}
h3{margin:24px 0 6px;font-size:16px}
.lead{color:var(--muted);margin:0 0 16px;max-width:88ch}
.note{color:var(--muted);font-size:14px;max-width:92ch;margin:8px 0}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(175px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:11px;padding:12px 14px;background:var(--bg)}
.card.wide{grid-column:span 2}
.card-label{font-size:12px;text-transform:uppercase;letter-spacing:.07em;color:var(--muted);font-weight:600}
.card-value{font-size:23px;font-weight:650;font-variant-numeric:tabular-nums;margin:2px 0;letter-spacing:-.01em}
.card-note{font-size:13px;color:var(--muted)}
figure{margin:0}
figcaption{font-size:13px;color:var(--muted);margin-top:7px}
.checker{background-color:var(--checker-b);background-image:linear-gradient(45deg,var(--checker-a) 25%,transparent 25%,transparent 75%,var(--checker-a) 75%),linear-gradient(45deg,var(--checker-a) 25%,transparent 25%,transparent 75%,var(--checker-a) 75%);background-size:16px 16px;background-position:0 0,8px 8px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.shot .checker{border-radius:10px;overflow:hidden;border:1px solid var(--line)}
.shot img{display:block;width:100%;height:auto}
.toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:10px 18px;margin:8px 0 10px}
.seg{display:inline-flex;border:1px solid var(--line);border-radius:9px;overflow:hidden;background:var(--card)}
.seg button{border:0;border-right:1px solid var(--line);background:transparent;color:var(--ink);padding:5px 13px;font:inherit;font-size:14px;cursor:pointer}
.seg button:last-child{border-right:0}
.seg button:hover{background:var(--bg)}
.seg button[aria-pressed=true]{background:var(--accent);color:var(--accent-ink)}
.hint{font-size:13px;color:var(--muted)}
.viewport{overflow:hidden;border-radius:10px;border:1px solid var(--line);max-height:78vh}
.viewer.zoomed .viewport{overflow:auto}
.stage{position:relative;width:min(100%,calc(78vh * var(--w) / var(--h)));aspect-ratio:var(--w)/var(--h);margin:0 auto;touch-action:none;user-select:none;-webkit-user-select:none;cursor:ew-resize}
.viewer.zoomed .stage{width:calc(var(--w) * var(--z) * 1px);max-width:none;margin:0;cursor:grab}
.stage .layer{position:absolute;inset:0;width:100%;height:100%;display:block;pointer-events:none}
.stage .over{clip-path:inset(0 calc(100% - var(--pos)) 0 0)}
.stage .layer:not(.over){clip-path:inset(0 0 0 var(--pos))}
.viewer.zoomed .layer{image-rendering:pixelated}
.divider{position:absolute;top:0;bottom:0;left:var(--pos);width:30px;margin-left:-15px;cursor:ew-resize;outline:none}
.divider::before{content:"";position:absolute;top:0;bottom:0;left:14px;width:2px;background:#fff;box-shadow:0 0 0 1px rgba(0,0,0,.35)}
.grip{display:block;position:absolute;top:50%;left:-2px;width:34px;height:34px;margin-top:-17px;border-radius:50%;background:#fff;box-shadow:0 1px 5px rgba(0,0,0,.45)}
.grip::before{content:"\2039\00a0\203a";position:absolute;inset:0;display:flex;align-items:center;justify-content:center;color:#333;font:700 18px/1 system-ui,sans-serif}
.divider:focus-visible .grip{outline:3px solid var(--accent);outline-offset:2px}
.tag{position:absolute;top:10px;padding:2px 9px;border-radius:6px;background:rgba(10,12,16,.62);color:#fff;font-size:12px;font-weight:600;pointer-events:none}
.tag-left{left:10px}.tag-right{right:10px}
.detail-pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
.detail-pair figure{display:flex;flex-direction:column;align-items:center;min-width:0;margin:0}
.dview{width:fit-content;max-width:100%;overflow:auto;max-height:min(70vh,660px);border-radius:10px;border:1px solid var(--line);cursor:grab;touch-action:none}
.dview img{display:block;width:calc(var(--w) * var(--dz) * 1px);height:auto;max-width:none}
.pixelated{image-rendering:pixelated}
.strip{display:flex;height:30px;border-radius:9px;overflow:hidden;border:1px solid var(--line);margin:4px 0 16px}
.strip span{min-width:2px}
.swatches{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(215px,1fr));gap:10px}
.swatch{display:flex;gap:11px;border:1px solid var(--line);border-radius:11px;overflow:hidden;background:var(--bg)}
.chip{flex:0 0 78px;display:flex;min-height:76px}
.chip-fill{flex:1;display:flex;align-items:flex-end;padding:7px;font:600 12px var(--mono)}
.small-image .shot img,.small-image .stage .layer,.small-image .ostage .layer{image-rendering:pixelated}
.sw-body{display:flex;flex-direction:column;gap:3px;padding:8px 10px 9px 0;font-size:13px;min-width:0;flex:1}
.sw-rgb{font-family:var(--mono);font-size:12px;color:var(--muted)}
.sw-share{font-variant-numeric:tabular-nums;display:flex;justify-content:space-between;align-items:baseline;gap:6px;white-space:nowrap}
.sw-share strong{font-size:16px}
.sw-share span{font-size:12px;color:var(--muted)}
.bar{display:block;height:6px;background:var(--line);border-radius:3px;overflow:hidden;min-width:60px}
.bar span{display:block;height:100%;background:var(--accent);border-radius:3px}
.sw-index{font-size:12px;color:var(--muted);display:flex;align-items:center;gap:6px}
.fc{display:inline-block;width:12px;height:12px;border-radius:3px;box-shadow:inset 0 0 0 1px rgba(0,0,0,.22);flex:none}
.downloads{font-size:14px;margin:16px 0 0}
.chart svg{display:block;width:100%;height:auto;margin:0 auto}
.chart.wide{overflow-x:auto}
.chart.wide svg{max-width:980px;min-width:560px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:18px}
.charts.three{grid-template-columns:repeat(auto-fit,minmax(250px,1fr))}
.charts .chart figcaption{text-align:center}
svg .frame{fill:var(--plot-bg);stroke:var(--line)}
svg .grid line{stroke:var(--grid);stroke-width:1}
svg .domain,svg .tick line{stroke:var(--muted);stroke-width:1}
svg text{fill:var(--muted);font-size:12px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .axis-label{fill:var(--ink);font-size:13px;font-weight:600}
svg .legend-label{fill:var(--ink)}
svg .line{fill:none;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}
svg .s0 .line{stroke:var(--s0)}svg .s1 .line{stroke:var(--s1)}
svg .marker{fill:var(--card);stroke-width:2}
svg .s0 .marker{stroke:var(--s0)}svg .s1 .marker{stroke:var(--s1)}
svg .marker:hover{fill:var(--ink)}
svg .highlight .rule{stroke:var(--mark);stroke-width:1.5;stroke-dasharray:5 4}
svg .highlight .mark{fill:var(--mark);stroke:var(--card);stroke-width:2.5}
svg .mark-label{fill:var(--mark);font-weight:700;font-size:13px}
svg.scatter .frame{fill:#8a8d91;stroke:var(--line)}
svg.scatter .grid line{stroke:rgba(255,255,255,.16)}
svg .pts{fill:none;stroke-width:3.4;stroke-linecap:round}
svg .halo{fill:none;stroke:#fff;stroke-width:5}
svg .centre{stroke:#111;stroke-width:1.6}
.cube{margin-top:18px}
.cube canvas{display:block;width:100%;max-width:640px;height:auto;margin:0 auto;border-radius:12px;background:#22262d;touch-action:none;cursor:grab}
.cube figcaption{text-align:center}
.cube button,.downloads a{font:inherit}
.cube button{margin-left:8px;border:1px solid var(--line);background:var(--card);color:var(--ink);border-radius:8px;padding:3px 11px;cursor:pointer}
.ostage{position:relative;width:min(100%,calc(78vh * var(--w) / var(--h)));aspect-ratio:var(--w)/var(--h);margin:0 auto;border-radius:10px;overflow:hidden;border:1px solid var(--line)}
.ostage .layer{position:absolute;inset:0;width:100%;height:100%;display:block}
.ostage .labels{opacity:var(--op)}
.ostage .edges{mix-blend-mode:difference}
.ostage.no-edges .edges{display:none}
label.range,label.check{display:inline-flex;align-items:center;gap:8px;font-size:14px}
input[type=range]{accent-color:var(--accent);width:150px}
input[type=checkbox]{accent-color:var(--accent);width:16px;height:16px}
.legend{list-style:none;padding:0;margin:14px 0 0;display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px;color:var(--muted);font-variant-numeric:tabular-nums}
.legend li{display:flex;align-items:center;gap:5px}
.legend .fc{width:14px;height:14px}
.arrow{opacity:.6}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left}
thead th{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
td.num{text-align:right;white-space:nowrap}
table.data th{text-align:right}
tfoot th,tfoot td{font-weight:700;border-bottom:0}
table.timings{max-width:760px}
table.timings td:last-child{width:55%}
tr.chosen td{background:color-mix(in srgb,var(--mark) 14%,transparent)}
details{margin-top:14px}
summary{cursor:pointer;color:var(--accent);font-weight:600}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 20px;margin:16px 0 0;font-size:14px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
pre.cmd{background:#0f1217;color:#e7eaef;padding:14px 16px;border-radius:10px;margin:4px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.55 var(--mono)}
footer{color:var(--muted);font-size:13px;padding-bottom:32px}
@media (max-width:760px){.pair,.detail-pair{grid-template-columns:minmax(0,1fr)}.card.wide{grid-column:auto}}
@media (max-width:600px){.wrap{padding:0 10px}section{padding:16px 14px;border-radius:11px;margin:12px 0}h1{font-size:23px}
.card-value{font-size:20px}.cards{grid-template-columns:repeat(auto-fit,minmax(150px,1fr))}.chip{min-height:60px}dl.facts{grid-template-columns:1fr;gap:0 0}dl.facts dd{margin-bottom:8px}.chip{flex-basis:64px}}
@media (prefers-reduced-motion:reduce){html{scroll-behavior:auto}}
)kmq";
}

}  // namespace kmq::report
