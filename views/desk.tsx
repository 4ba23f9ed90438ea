import { Html } from "@elysiajs/html";
import { Layout } from "./layout";
import { ReplayPanel } from "./replay";
import { ChartCard } from "./desk/chart";
import { DeskHead, KeysHelp } from "./desk/head";
import type { DeskPageProps } from "./desk/props";
import { DeskState } from "./desk/state";
import { PriceLadderCard } from "./desk/price-ladder";

export type { DeskEvent, DeskInstrument, DeskPageProps, DeskStateProps } from "./desk/props";
export { DeskState } from "./desk/state";

/** The trader's desk: picker, live price, chart with draggable levels, and the state above. */
export function DeskPage(props: DeskPageProps) {
  const { inst } = props;
  return (
    <Layout
      title={`${props.replay ? "Replay · " : ""}${inst.root} desk`}
      user={props.user}
      active={props.replay ? "replay" : "desk"}
      scripts={["/vendor/uPlot.iife.min.js", "/static/js/desk.js"]}
      styles={["/vendor/uPlot.min.css"]}
      banner={
        props.replay
          ? `REPLAY ${props.replay.account} — ${props.replay.description}. Practice only: nothing here reaches live trading.`
          : undefined
      }
    >
      <div
        class={`desk${props.replay ? " desk-replay" : ""}`}
        data-desk
        x-data="desk"
        data-account={props.account}
        data-symbol={inst.root}
        {...(props.replay ? { "data-replay": String(props.replay.id) } : {})}
      >
        {props.replay ? <ReplayPanel {...props.replay} /> : ""}
        <DeskHead props={props} />
        <KeysHelp />
        <div class="desk-grid">
          {/* The chart, the price ladder or both (desk-view.js; the choice is kept in this browser). */}
          <div class="desk-market" data-market data-view="chart">
            <ChartCard inst={inst} />
            <PriceLadderCard inst={inst} account={props.account} replay={Boolean(props.replay)} />
          </div>
          <DeskState {...props} />
        </div>
      </div>
    </Layout>
  );
}
