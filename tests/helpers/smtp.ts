/** A real SMTP server on loopback that keeps every message it receives, parsed. */
import { SMTPServer } from 'smtp-server';
import { type ParsedMail, simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait';

export class SmtpCatcher {
  readonly messages: ParsedMail[] = [];
  private server?: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.messages.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
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
