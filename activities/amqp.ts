/**
 * Publishes JSON messages to an AMQP topic exchange (RabbitMQ), over one lazily opened connection
 * with publisher confirms: a publish resolves once the broker has the message. A lost connection is
 * reopened by the next publish (the reporting activity's retries pace it).
 */
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';

export interface TopicPublisher {
  publish(routingKey: string, message: unknown): Promise<void>;
  close(): Promise<void>;
}

export function amqpTopicPublisher(url: string, exchange: string): TopicPublisher {
  let open: Promise<{ model: ChannelModel; channel: ConfirmChannel }> | undefined;

  const connect = () => {
    open ??= (async () => {
      const model = await amqp.connect(url, { timeout: 5000 });
      const forget = () => (open = undefined);
      model.on('close', forget);
      model.on('error', forget);
      const channel = await model.createConfirmChannel();
      channel.on('close', forget);
      channel.on('error', forget);
      // Durable, like Ensembl's report exchange, so consumers' bindings outlive a broker restart.
      await channel.assertExchange(exchange, 'topic', { durable: true });
      return { model, channel };
    })().catch((err) => {
      open = undefined;
      // The URL may carry the broker's password: the error never repeats it.
      throw new Error(
        `cannot reach the report broker (exchange ${exchange}): ${(err as Error).message.replace(url, '<HANDOVER_REPORT_AMQP_URL>')}`,
      );
    });
    return open;
  };

  return {
    async publish(routingKey, message) {
      const { channel } = await connect();
      channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(message)), { persistent: true, contentType: 'application/json' });
      await channel.waitForConfirms();
    },
    async close() {
      const current = open;
      open = undefined;
      if (current) await (await current).model.close().catch(() => undefined);
    },
  };
}
