// Files imported `with { type: "file" }` resolve to a path (embedded in the compiled binary).
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "*.svg" {
  const path: string;
  export default path;
}
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.data" {
  const path: string;
  export default path;
}
declare module "*/status-bar.js" {
  const path: string;
  export default path;
}
declare module "*/desk.js" {
  const path: string;
  export default path;
}
declare module "*/live-refresh.js" {
  const path: string;
  export default path;
}
declare module "*/alerts.js" {
  const path: string;
  export default path;
}
declare module "*/journal.js" {
  const path: string;
  export default path;
}
declare module "*/positions.js" {
  const path: string;
  export default path;
}
declare module "*/replay.js" {
  const path: string;
  export default path;
}
declare module "*/app.js" {
  const path: string;
  export default path;
}
declare module "htmx.org/dist/htmx.min.js" {
  const path: string;
  export default path;
}
declare module "@alpinejs/csp/dist/cdn.min.js" {
  const path: string;
  export default path;
}
declare module "uplot/dist/uPlot.iife.min.js" {
  const path: string;
  export default path;
}
declare module "uplot/dist/uPlot.min.css" {
  const path: string;
  export default path;
}
