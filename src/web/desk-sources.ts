// The desk's module sources, served as they are beside their bundle (/static/js/desk.js): every
// file under public/ is embedded (assets.test.ts), and they are what the bundle was built from.
import deskChartDragJs from "../../public/js/desk/chart-drag.js" with { type: "file" };
import deskChartDrawJs from "../../public/js/desk/chart-draw.js" with { type: "file" };
import deskChartHistoryJs from "../../public/js/desk/chart-history.js" with { type: "file" };
import deskChartSeriesJs from "../../public/js/desk/chart-series.js" with { type: "file" };
import deskChartJs from "../../public/js/desk/chart.js" with { type: "file" };
import deskContextJs from "../../public/js/desk/context.js" with { type: "file" };
import deskDeskJs from "../../public/js/desk/desk.js" with { type: "file" };
import deskFeedJs from "../../public/js/desk/feed.js" with { type: "file" };
import deskLiveJs from "../../public/js/desk/live.js" with { type: "file" };
import deskMainJs from "../../public/js/desk/main.js" with { type: "file" };
import deskPlayerJs from "../../public/js/desk/player.js" with { type: "file" };
import deskPositionJs from "../../public/js/desk/position.js" with { type: "file" };
import deskQuoteJs from "../../public/js/desk/quote.js" with { type: "file" };
import deskStateSyncJs from "../../public/js/desk/state-sync.js" with { type: "file" };
import deskTicketJs from "../../public/js/desk/ticket.js" with { type: "file" };
import deskTimerJs from "../../public/js/desk/timer.js" with { type: "file" };

export const DESK_SOURCES: Readonly<Record<string, string>> = {
  "/static/js/desk/chart-drag.js": deskChartDragJs,
  "/static/js/desk/chart-draw.js": deskChartDrawJs,
  "/static/js/desk/chart-history.js": deskChartHistoryJs,
  "/static/js/desk/chart-series.js": deskChartSeriesJs,
  "/static/js/desk/chart.js": deskChartJs,
  "/static/js/desk/context.js": deskContextJs,
  "/static/js/desk/desk.js": deskDeskJs,
  "/static/js/desk/feed.js": deskFeedJs,
  "/static/js/desk/live.js": deskLiveJs,
  "/static/js/desk/main.js": deskMainJs,
  "/static/js/desk/player.js": deskPlayerJs,
  "/static/js/desk/position.js": deskPositionJs,
  "/static/js/desk/quote.js": deskQuoteJs,
  "/static/js/desk/state-sync.js": deskStateSyncJs,
  "/static/js/desk/ticket.js": deskTicketJs,
  "/static/js/desk/timer.js": deskTimerJs,
};
