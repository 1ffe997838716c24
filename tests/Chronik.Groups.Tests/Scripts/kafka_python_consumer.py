"""A kafka-python group member: prints ASSIGNED <partitions> on every assignment and RECORD <partition> <offset> <value> per record."""
import sys

from kafka import KafkaConsumer, ConsumerRebalanceListener
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

bootstrap, group, topic = sys.argv[1], sys.argv[2], sys.argv[3]
if not all(host.split(":")[0] in ("127.0.0.1", "localhost") for host in bootstrap.split(",")):
    sys.exit("refusing a non-loopback bootstrap address")


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        print("REVOKED " + ",".join(str(tp.partition) for tp in sorted(revoked)), flush=True)

    def on_partitions_assigned(self, assigned):
        print("ASSIGNED " + ",".join(str(tp.partition) for tp in sorted(assigned)), flush=True)


consumer = KafkaConsumer(
    bootstrap_servers=bootstrap,
    group_id=group,
    client_id="kafka-python",
    auto_offset_reset="earliest",
    enable_auto_commit=True,
    auto_commit_interval_ms=200,
    session_timeout_ms=6000,
    heartbeat_interval_ms=1000,
    max_poll_interval_ms=30000,
    api_version=(2, 5, 0),
    # "roundrobin": the one assignor librdkafka, kafka-python and kafkajs all speak.
    partition_assignment_strategy=[RoundRobinPartitionAssignor],
)
consumer.subscribe([topic], listener=Listener())
while True:
    for tp, records in consumer.poll(timeout_ms=200).items():
        for record in records:
            print("RECORD %d %d %s" % (record.partition, record.offset, record.value.decode()), flush=True)
