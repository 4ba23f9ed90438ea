import type { OrderRequest, ReportInput } from "../engine/types";

/** Where orders go. Reports come back through `onReport`, asynchronously, like a broker's. */
export interface ExecutionAdapter {
  readonly name: "paper" | "webhook";
  submit(order: OrderRequest): void;
}

export type ReportSink = (r: ReportInput) => void;
