import { Html } from "@elysiajs/html";

/** What a section's last save did, shown inside that section. */
export interface Notice {
  ok: boolean;
  message: string;
}

export function NoticeLine({ n }: { n?: Notice }) {
  if (!n) return "";
  return n.ok ? (
    <p class="alert alert-ok" role="status" safe>
      {n.message}
    </p>
  ) : (
    <p class="alert alert-error" role="alert" safe>
      {n.message}
    </p>
  );
}
