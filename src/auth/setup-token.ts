import { randomToken, timingSafeEqualText } from "./crypto";

/**
 * The one-time first-run link. Kept in memory only: a restart with no users issues a new one,
 * and it is spent by the first user created, from the browser or the CLI.
 */
export class SetupToken {
  private token: string | undefined;

  issue(): string {
    this.token = randomToken(24);
    return this.token;
  }

  get active(): boolean {
    return this.token !== undefined;
  }

  matches(candidate: string): boolean {
    return this.token !== undefined && timingSafeEqualText(candidate, this.token);
  }

  spend(): void {
    this.token = undefined;
  }
}
