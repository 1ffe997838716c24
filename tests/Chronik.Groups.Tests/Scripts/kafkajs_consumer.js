// A kafkajs group member: prints ASSIGNED <partitions> on every join and RECORD <partition> <offset> <value> per record.
const { Kafka, logLevel, PartitionAssigners } = require('kafkajs');

const [bootstrap, group, topic] = process.argv.slice(2);
if (!bootstrap.split(',').every((b) => ['127.0.0.1', 'localhost'].includes(b.split(':')[0]))) {
  console.error('refusing a non-loopback bootstrap address');
  process.exit(2);
}

const kafka = new Kafka({ clientId: 'kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.ERROR });
// kafkajs names its round-robin assigner "RoundRobinAssigner"; under Kafka's name "roundrobin" it joins groups
// with librdkafka and kafka-python members (same consumer protocol encoding).
const roundRobin = (config) => ({ ...PartitionAssigners.roundRobin(config), name: 'roundrobin' });
const consumer = kafka.consumer({
  groupId: group,
  sessionTimeout: 6000,
  heartbeatInterval: 1000,
  rebalanceTimeout: 10000,
  partitionAssigners: [roundRobin],
});
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const partitions = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b);
  console.log('ASSIGNED ' + partitions.join(','));
});

(async () => {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 200,
    eachMessage: async ({ partition, message }) => {
      console.log(`RECORD ${partition} ${message.offset} ${message.value.toString()}`);
    },
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
