import type { NatsLink } from "./nats-link";

const PREFIX = "user.";

/**
 * A user's private messages (position changes, replay progress) are produced on the instance
 * that runs the user's accounts, but the user's browsers may be connected to any instance: each
 * message is published on the user's subject and every instance hands it to its own sockets of
 * that user — its own included, so there is one path and one order.
 */
export class UserFanout {
  constructor(
    private readonly link: NatsLink,
    deliver: (userId: number, message: string) => void,
  ) {
    const dec = new TextDecoder();
    link.subscribe(`${PREFIX}*`, (msg, subject) => {
      const userId = Number(subject.slice(PREFIX.length));
      if (Number.isInteger(userId)) deliver(userId, dec.decode(msg.data));
    });
  }

  publish(userId: number, message: string): void {
    this.link.publish(`${PREFIX}${userId}`, message);
  }
}
