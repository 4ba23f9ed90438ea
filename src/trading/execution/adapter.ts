import type { OrderRequest, ReportInput } from "../engine/types";

/** Where orders go. Reports come back through `onReport`, asynchronously, like a broker's. */
export interface ExecutionAdapter {
  readonly name: "paper" | "webhook";
  submit(order: OrderRequest): void;
  /** Withdraws a resting order (the engine has already forgotten it). Orders in flight cannot be recalled. */
  cancel?(orderId: string): void;
}

export type ReportSink = (r: ReportInput) => void;
