import { Html, type PropsWithChildren } from "@elysiajs/html";

/**
 * A table as every page lays one out: inside a wrapper that scrolls sideways on a narrow screen,
 * `head` the header row's cells, the rows as children.
 */
export function Table({ class: cls, head, children }: PropsWithChildren<{ class: string; head: JSX.Element }>) {
  return (
    <div class="table-wrap">
      <table class={cls}>
        <thead>
          <tr>{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
