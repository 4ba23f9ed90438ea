import { Html } from "@elysiajs/html";
import { KillSwitch } from "../settings/risk";
import { fmt } from "./format";
import type { DeskPageProps } from "./props";

/** The desk's head: account and symbol pickers, the live quote, the keys button. */
export function DeskHead({ props }: { props: DeskPageProps }) {
  const { inst } = props;
  const d = inst.decimals;
  return (
    <header class="desk-head card">
      <form class="picker" method="get" action="/desk" x-data="picker">
        <label class="sr-only" for="account">
          Account
        </label>
        <select id="account" name="account" aria-label="Account">
          {props.accounts.map((a) => (
            <option value={a.name} selected={a.name === props.account} safe>{`${a.name} (${a.kind})`}</option>
          ))}
        </select>
        {props.replay ? (
          ""
        ) : (
          <div class="family" role="group" aria-label="Contract size">
            <a
              class={`seg ${inst.family === "micro" ? "on" : ""}`}
              href={`/desk?account=${encodeURIComponent(props.account)}&symbol=${inst.family === "micro" ? inst.root : inst.pair}`}
              aria-current={inst.family === "micro" ? "true" : undefined}
            >
              Micros
            </a>
            <a
              class={`seg ${inst.family === "mini" ? "on" : ""}`}
              href={`/desk?account=${encodeURIComponent(props.account)}&symbol=${inst.family === "mini" ? inst.root : inst.pair}`}
              aria-current={inst.family === "mini" ? "true" : undefined}
            >
              Minis
            </a>
          </div>
        )}
        <select name="symbol" aria-label="Symbol">
          {props.symbols.map((s) => (
            <option value={s.root} selected={s.root === inst.root} safe>{`${s.root} · ${s.name}`}</option>
          ))}
        </select>
        <noscript>
          <button class="btn" type="submit">
            Go
          </button>
        </noscript>
      </form>
      <div class="quote" x-data="quote" role="group" aria-label={`${inst.root} price`}>
        <span class="last num" data-last safe>
          {fmt(props.last, d)}
        </span>
        <span class="change num" data-change></span>
        <span class="bidask num muted">
          <span data-bid safe>
            {fmt(props.quote?.bid, d)}
          </span>{" "}
          ×{" "}
          <span data-ask safe>
            {fmt(props.quote?.ask, d)}
          </span>
        </span>
      </div>
      <span class="family small-seg market-view" role="group" aria-label="Market view" x-data="marketView">
        {(["chart", "ladder", "both"] as const).map((v) => (
          <button type="button" class="seg" data-market-view={v} aria-pressed="false">
            {v === "chart" ? "Chart" : v === "ladder" ? "Ladder" : "Both"}
          </button>
        ))}
      </span>
      <button
        type="button"
        class="btn btn-ghost keys-btn"
        data-keys-toggle
        x-data="keys"
        aria-expanded="false"
        aria-controls="keys"
      >
        Keys (?)
      </button>
      {props.replay ? (
        ""
      ) : (
        <>
          <KillSwitch target="#kill-result" line />
          <p id="kill-result" hidden></p>
        </>
      )}
    </header>
  );
}

const KEYS = [
  ["B", "Buy the ticket's quantity"],
  ["S", "Sell the ticket's quantity"],
  ["X", "Exit all"],
  ["T", "Take profit (exit the ticket's quantity)"],
  ["C", "Centre the price ladder on the last price"],
  ["?", "Show or hide this list"],
] as const;

/** The hotkeys, shown and hidden with "?". */
export function KeysHelp() {
  return (
    <aside id="keys" class="card keys" hidden>
      <h2>Keyboard</h2>
      <dl class="facts">
        {KEYS.map(([key, what]) => (
          <div>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <p class="muted small">Keys work when no input has focus. Confirmations can be turned on in Settings.</p>
    </aside>
  );
}
