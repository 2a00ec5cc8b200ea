/** A real SMTP server on loopback that keeps every message it receives, parsed. */
import { SMTPServer } from 'smtp-server';
import { type ParsedMail, simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait';

export class SmtpCatcher {
  /** Messages received and answered (accepted). */
  readonly messages: ParsedMail[] = [];
  /** Messages received, answered or not yet (see `answerAfter`). */
  readonly received: ParsedMail[] = [];
  /** While set, a message received is answered only once this resolves (a slow server). */
  answerAfter?: Promise<void>;
  private server?: SMTPServer;
  port = 0;

  /** Listens on a free port; started again after `stop()`, on the same port (the worker's SMTP_URL). */
  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then(async (mail) => {
            this.received.push(mail);
            await this.answerAfter;
            this.messages.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    // A client killed mid-session (a worker process SIGKILLed while mailing) resets its socket; smtp-server emits that
    // as 'error' on the server, which unheard would end the test file ("read ECONNRESET"). It is not the catcher's failure.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): ParsedMail[] {
    return this.messages.filter((m) => JSON.stringify(m.to).includes(address));
  }

  async waitForMail(address: string, count = 1, timeoutMs = 30_000): Promise<ParsedMail[]> {
    return waitFor(() => (this.to(address).length >= count ? this.to(address) : undefined), timeoutMs, `${count} email(s) to ${address}`);
  }

  /** The first message whose subject contains `text` (a database name names one handover's mail). */
  async waitForSubject(text: string, timeoutMs = 30_000): Promise<ParsedMail> {
    return waitFor(() => this.messages.find((m) => m.subject?.includes(text)), timeoutMs, `an email about "${text}"`);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
