import type { z } from "zod";

/**
 * A page form's refusal in the words of the field the trader typed in: the label the page shows
 * for it and a plain sentence — "Amount: a number such as 3 or 2.5", never a schema path such as
 * "stop.initial.value" or zod's "expected number, received NaN".
 */
export function inWords(label: (path: readonly PropertyKey[]) => string) {
  return (err: z.ZodError): string => {
    const i = err.issues[0]!;
    return `${label(i.path)}: ${plain(i)}`;
  };
}

/** The schemas' own sentences, said the way a trader reads them on a form. */
const SAID: Record<string, string> = {
  "a decimal number": "a number such as 3 or 2.5",
  "must be positive": "must be above zero",
};

function plain(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case "too_small":
      return `at least ${String(i.minimum)}`;
    case "too_big":
      return `at most ${String(i.maximum)}`;
    case "invalid_type":
      return i.expected === "number" ? "a number such as 3 or 2.5" : "required";
    case "invalid_value":
      return `one of ${i.values.map(String).join(", ")}`;
    case "invalid_union": {
      // A number or a decimal string: the branch that said more than "wrong type" says why.
      const telling = i.errors.flat().find((e) => e.code !== "invalid_type");
      return telling ? plain(telling) : "a number such as 3 or 2.5";
    }
    default:
      return SAID[i.message] ?? i.message;
  }
}
