// The desk's live parts as Alpine islands (the CSP build: components by name, no expressions in
// the HTML). Each island is set up from its own subtree's data attributes; the state's islands
// are set up again whenever htmx swaps the state in.
import Alpine from "@alpinejs/csp";
import { chart } from "./chart.js";
import { desk, picker } from "./desk.js";
import { position } from "./position.js";
import { quote } from "./quote.js";
import { ladder } from "./ladder.js";
import { marketView } from "./market-view.js";
import { priceLadder } from "./price-ladder.js";
import { keys, ticket } from "./ticket.js";
import { countdown } from "./timer.js";

Alpine.data("desk", desk);
Alpine.data("picker", picker);
Alpine.data("quote", quote);
Alpine.data("keys", keys);
Alpine.data("chart", chart);
Alpine.data("ticket", ticket);
Alpine.data("ladder", ladder);
Alpine.data("position", position);
Alpine.data("countdown", countdown);
Alpine.data("marketView", marketView);
Alpine.data("priceLadder", priceLadder);
Alpine.start();
