#!/usr/bin/python3
"""kafka-python (Debian python3-kafka 2.0.2) driven by the Chronik.Compat tests.

Run with Debian's /usr/bin/python3 (the python3 first on PATH may not see Debian's packages):

    kafka_python_client.py COMMAND BOOTSTRAP ARGS...

Commands (the C# harness checked BOOTSTRAP is a loopback address):
    version
    create-topic     BOOTSTRAP TOPIC PARTITIONS
    produce          BOOTSTRAP TOPIC CODEC RECORDS_FILE      (acks=all; records as JSON lines)
    consume          BOOTSTRAP TOPIC EXPECTED OUT_FILE       (every partition from the beginning)
    list-offsets     BOOTSTRAP TOPIC TIMESTAMP[,TIMESTAMP...]
    describe-configs BOOTSTRAP TOPIC
    alter-config     BOOTSTRAP TOPIC NAME VALUE
    delete-topic     BOOTSTRAP TOPIC

The result is one JSON object on the last line of stdout; failures exit non-zero with a traceback.
File formats: tests/Chronik.Compat/Harness/RecordFiles.cs.
"""
import base64
import json
import sys
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.codec import has_gzip, has_lz4, has_snappy, has_zstd

CLIENT_ID = "chronik-compat-kafka-python"
TIMEOUT_MS = 60000


def emit(result):
    print(json.dumps(result), flush=True)


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def unb64(text):
    return None if text is None else base64.b64decode(text)


def check_errors(what, errors):
    """errors: (name, error_code, error_message) tuples from a response; raises on any non-zero code."""
    failed = [(name, code, message) for (name, code, message) in errors if code != 0]
    if failed:
        raise RuntimeError("%s failed: %r" % (what, failed))


def admin(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id=CLIENT_ID, request_timeout_ms=TIMEOUT_MS)


def cmd_version():
    codecs = {"gzip": has_gzip(), "snappy": has_snappy(), "lz4": has_lz4(), "zstd": has_zstd()}
    emit({"client": "kafka-python", "version": kafka.__version__, "codecs": codecs})


def cmd_create_topic(bootstrap, topic, partitions):
    client = admin(bootstrap)
    try:
        response = client.create_topics([NewTopic(topic, int(partitions), 1)], timeout_ms=TIMEOUT_MS)
        check_errors("CreateTopics", [(t[0], t[1], t[2] if len(t) > 2 else None) for t in response.topic_errors])
        emit({"created": topic, "apiVersion": list(client.config["api_version"])})
    finally:
        client.close()


def cmd_produce(bootstrap, topic, codec, records_file):
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=CLIENT_ID,
        acks="all",
        compression_type=None if codec == "none" else codec,
        linger_ms=20,
        batch_size=256 * 1024,
        max_request_size=16 * 1024 * 1024,
        request_timeout_ms=TIMEOUT_MS,
    )
    api_version = producer.config["api_version"]
    futures = []
    count = 0
    try:
        with open(records_file, "rb") as lines:
            for line in lines:
                record = json.loads(line)
                headers = [(name, unb64(value)) for name, value in record["headers"]]
                futures.append(producer.send(
                    topic,
                    key=unb64(record["key"]),
                    value=unb64(record["value"]),
                    headers=headers,
                    timestamp_ms=record["timestamp"]))
                count += 1
        producer.flush(timeout=TIMEOUT_MS / 1000)
        # Every send must be acknowledged: get() raises the send's error.
        for future in futures:
            future.get(timeout=TIMEOUT_MS / 1000)
    finally:
        producer.close(timeout=10)
    emit({"produced": count, "apiVersion": list(api_version)})


def timestamp_type_name(timestamp_type):
    return {0: "create", 1: "append"}.get(timestamp_type, "none")


def cmd_consume(bootstrap, topic, expected, out_file):
    expected = int(expected)
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=CLIENT_ID,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
        request_timeout_ms=TIMEOUT_MS + 5000,
    )
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise RuntimeError("topic %s has no partitions in metadata" % topic)
        assignment = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assignment)
        consumer.seek_to_beginning(*assignment)
        end_offsets = consumer.end_offsets(assignment)
        count = 0
        deadline = time.time() + 240
        with open(out_file, "w") as out:
            while any(consumer.position(tp) < end_offsets[tp] for tp in assignment):
                if time.time() > deadline:
                    raise RuntimeError("consumed %d of %d before the deadline; positions %r, ends %r" % (
                        count, expected, {tp.partition: consumer.position(tp) for tp in assignment},
                        {tp.partition: o for tp, o in end_offsets.items()}))
                for tp, records in consumer.poll(timeout_ms=1000, max_records=10000).items():
                    for r in records:
                        out.write(json.dumps({
                            "partition": r.partition,
                            "offset": r.offset,
                            "timestamp": r.timestamp,
                            "timestampType": timestamp_type_name(r.timestamp_type),
                            "key": b64(r.key),
                            "value": b64(r.value),
                            "headers": [[name, b64(value)] for name, value in (r.headers or [])],
                        }))
                        out.write("\n")
                        count += 1
        emit({"consumed": count, "expected": expected, "endOffsets": {str(tp.partition): o for tp, o in end_offsets.items()}})
    finally:
        consumer.close()


def cmd_list_offsets(bootstrap, topic, timestamps):
    timestamps = [int(t) for t in timestamps.split(",") if t]
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id=CLIENT_ID, group_id=None, enable_auto_commit=False,
                             request_timeout_ms=TIMEOUT_MS + 5000)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise RuntimeError("topic %s has no partitions in metadata" % topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        earliest = consumer.beginning_offsets(tps)
        latest = consumer.end_offsets(tps)
        by_timestamp = {tp: [] for tp in tps}
        for ts in timestamps:
            found = consumer.offsets_for_times({tp: ts for tp in tps})
            for tp in tps:
                # None: no record at or after the timestamp (Kafka answers offset -1).
                by_timestamp[tp].append({"timestamp": ts, "offset": -1 if found[tp] is None else found[tp].offset})
        emit({"partitions": [
            {"partition": tp.partition, "earliest": earliest[tp], "latest": latest[tp], "byTimestamp": by_timestamp[tp]}
            for tp in tps]})
    finally:
        consumer.close()


def cmd_describe_configs(bootstrap, topic):
    client = admin(bootstrap)
    try:
        configs = {}
        for response in client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]):
            for resource in response.resources:
                error_code, error_message, _, name, entries = resource[0], resource[1], resource[2], resource[3], resource[4]
                check_errors("DescribeConfigs", [(name, error_code, error_message)])
                for entry in entries:
                    configs[entry[0]] = entry[1]
        emit({"configs": configs})
    finally:
        client.close()


def cmd_alter_config(bootstrap, topic, name, value):
    client = admin(bootstrap)
    try:
        # AlterConfigs (not incremental) replaces the topic's whole set of dynamic configs, as Kafka does.
        response = client.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={name: value})])
        check_errors("AlterConfigs", [(r[3], r[0], r[1]) for r in response.resources])
        emit({"altered": topic, "name": name, "value": value})
    finally:
        client.close()


def cmd_delete_topic(bootstrap, topic):
    client = admin(bootstrap)
    try:
        response = client.delete_topics([topic], timeout_ms=TIMEOUT_MS)
        check_errors("DeleteTopics", [(t[0], t[1], None) for t in response.topic_error_codes])
        emit({"deleted": topic})
    finally:
        client.close()


COMMANDS = {
    "version": cmd_version,
    "create-topic": cmd_create_topic,
    "produce": cmd_produce,
    "consume": cmd_consume,
    "list-offsets": cmd_list_offsets,
    "describe-configs": cmd_describe_configs,
    "alter-config": cmd_alter_config,
    "delete-topic": cmd_delete_topic,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        sys.exit(2)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
