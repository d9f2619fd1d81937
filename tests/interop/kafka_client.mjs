// A Kafka client that is not librdkafka (kafkajs), for the serve tests.
//   node kafka_client.mjs produce BROKER TOPIC FILE     one message a line of FILE: {"key": ..., "value": ...}
//   node kafka_client.mjs consume BROKER TOPIC KEYS TIMEOUT_MS
//        prints one JSON line per message ({"key", "value", "headers"}), reading the topic from its
//        beginning, until messages with KEYS distinct keys arrived or the timeout passed.
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';

const [mode, broker, topic, ...rest] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'trigml-test', brokers: [broker], logLevel: logLevel.ERROR });

if (mode === 'produce') {
  const lines = readFileSync(rest[0], 'utf8').split('\n').filter((l) => l.length);
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const messages = lines.map((l) => JSON.parse(l));
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  console.log(JSON.stringify({ produced: messages.length }));
} else if (mode === 'consume') {
  const want = Number(rest[0]);
  const timeout = Number(rest[1]);
  const consumer = kafka.consumer({ groupId: `trigml-test-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const keys = new Set();
  const done = new Promise((resolve) => {
    const timer = setTimeout(resolve, timeout);
    consumer.run({
      eachMessage: async ({ message }) => {
        const headers = {};
        for (const [k, v] of Object.entries(message.headers || {})) headers[k] = v.toString();
        console.log(JSON.stringify({ key: message.key?.toString() ?? null, value: message.value.toString(), headers }));
        keys.add(message.key?.toString() ?? null);
        if (keys.size >= want) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await done;
  await consumer.disconnect();
} else {
  console.error('usage: kafka_client.mjs produce|consume BROKER TOPIC ...');
  process.exit(2);
}
