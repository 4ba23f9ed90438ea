/**
 * Where a user's private messages go: this instance's sockets, or, in a cluster, every
 * instance's (cluster/user-fanout.ts). One object, so the engine and the replays need not know.
 */
export class UserMessages {
  private route: (userId: number, message: string) => void;
  constructor(local: (userId: number, message: string) => void) {
    this.route = local;
  }

  via(route: (userId: number, message: string) => void): void {
    this.route = route;
  }

  publish(userId: number, message: string): void {
    this.route(userId, message);
  }
}
