"""Lists and describes a group with kafka-python's admin client; prints one JSON document."""
import json
import sys

from kafka import KafkaAdminClient
from kafka.coordinator.protocol import ConsumerProtocolMemberAssignment

bootstrap, group = sys.argv[1], sys.argv[2]
if not all(host.split(":")[0] in ("127.0.0.1", "localhost") for host in bootstrap.split(",")):
    sys.exit("refusing a non-loopback bootstrap address")

admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kafka-python-admin", api_version=(2, 5, 0))
listed = [{"group": g, "protocol_type": t} for g, t in admin.list_consumer_groups()]
described = []
for info in admin.describe_consumer_groups([group]):
    members = []
    for m in info.members:
        assignment = m.member_assignment
        if isinstance(assignment, (bytes, bytearray)):
            assignment = ConsumerProtocolMemberAssignment.decode(assignment) if assignment else None
        partitions = [] if assignment is None else [[t, sorted(ps)] for t, ps in assignment.assignment]
        members.append({"member_id": m.member_id, "client_id": m.client_id, "client_host": m.client_host, "assignment": partitions})
    described.append({"group": info.group, "state": info.state, "protocol_type": info.protocol_type, "protocol": info.protocol, "members": members})
offsets = {"%s:%d" % (tp.topic, tp.partition): om.offset for tp, om in admin.list_consumer_group_offsets(group).items()}
print(json.dumps({"listed": listed, "described": described, "offsets": offsets}))
