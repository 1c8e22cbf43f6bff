"""Drives the ModelArts simulator through Huawei's official Python SDK (huaweicloudsdkmodelarts.v1).

Every call goes through the SDK's own request model, signer and response model; the script checks that each
response deserializes into the SDK's model with the fields a client reads, and prints one JSON object with
what it saw for the TypeScript test to compare with the simulator's state. Any failed check exits non-zero
with the reason on stderr.

Phases (the test submits workloads in between):
  pool       create, show, list, PATCH as the SDK sends it, list nodes (every page), show node
  workloads  list workloads (filters, paging), workload statistics, pool statistics, batch-delete (and its
             refusal of an unknown node), delete

Environment: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK. Arguments: --endpoint, --project-id, --phase, --pool.
"""
import argparse
import json
import os
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkmodelarts.v1 import (
    BatchDeletePoolNodesRequest,
    BatchDeletePoolNodesResponse,
    CreatePoolRequest,
    CreatePoolRequestBody,
    CreatePoolResponse,
    DeletePoolRequest,
    DeletePoolResponse,
    ListPoolNodesRequest,
    ListPoolNodesResponse,
    ListPoolsRequest,
    ListPoolsResponse,
    ListWorkloadsRequest,
    ListWorkloadsResponse,
    ModelArtsClient,
    NodesDeletionRequest,
    PatchPoolRequest,
    PatchPoolResponse,
    PoolAnnotationsCreation,
    PoolLabelsCreation,
    PoolMetadataCreation,
    PoolResourceFlavor,
    PoolSpecCreation,
    PoolSpecCreationNetwork,
    PoolSpecUpdate,
    PoolSpecUpdateResources,
    PoolUpdateRequest,
    ShowPoolNodeRequest,
    ShowPoolNodeResponse,
    ShowPoolRequest,
    ShowPoolResponse,
    ShowPoolStatisticsRequest,
    ShowPoolStatisticsResponse,
    ShowWorkloadStatisticsRequest,
    ShowWorkloadStatisticsResponse,
)
from huaweicloudsdkmodelarts.v1.model.node import Node
from huaweicloudsdkmodelarts.v1.model.workload import Workload

GPU = "modelarts.vm.gpu.8v100"
NPU = "modelarts.vm.npu.8snt9b"
LABEL = "sdk-conformance"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def build_client(endpoint, project_id, seen):
    def record(**kwargs):
        response = kwargs["response"]
        request = response.request
        seen.append(
            {
                "method": request.method,
                "url": request.url,
                "status": response.status_code,
                "contentType": request.headers.get("Content-Type"),
                "signed": request.headers.get("Authorization", "").startswith("SDK-HMAC-SHA256 "),
            }
        )

    config = HttpConfig.get_default_config()
    config.retry_times = 0
    config.timeout = (10, 30)
    credentials = BasicCredentials(os.environ["HUAWEICLOUD_SDK_AK"], os.environ["HUAWEICLOUD_SDK_SK"], project_id)
    return (
        ModelArtsClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([endpoint])
        .with_http_config(config)
        .with_http_handler(HttpHandler().add_response_handler(record))
        .build()
    )


def node_facts(node):
    check(isinstance(node, Node), "a node did not deserialize into the SDK's Node")
    check(node.metadata.name, "a node has no metadata.name")
    labels = node.metadata.labels
    status = node.status
    check(status.phase in ("Creating", "Checking", "Available", "Deleting", "Abnormal"), "unknown node phase %r" % status.phase)
    return {
        "name": node.metadata.name,
        "flavor": node.spec.flavor,
        "phase": status.phase,
        "az": status.az,
        "ip": status.private_ip,
        "nodePool": labels.os_modelarts_node_nodepool,
        "nodePoolName": labels.os_modelarts_node_nodepoolname,
        "billingStatus": labels.os_modelarts_billing_status,
        "gpu": status.resources.nvidia_com_gpu,
        "freeGpu": status.available_resources.nvidia_com_gpu,
        "snt9": status.resources.huawei_com_ascend_snt9,
        "freeSnt9": status.available_resources.huawei_com_ascend_snt9,
        "cpu": status.resources.cpu,
        "memory": status.resources.memory,
    }


def workload_facts(workload):
    check(isinstance(workload, Workload), "a workload did not deserialize into the SDK's Workload")
    requirement = workload.resource_requirement
    return {
        "uid": workload.uid,
        "name": workload.name,
        "jobName": workload.job_name,
        "type": workload.type,
        "flavor": workload.flavor,
        "status": workload.status,
        "gpu": requirement.nvidia_com_gpu if requirement else None,
        "pendingPosition": workload.pending_position,
        "pendingDuration": workload.pending_duration,
        "runningDuration": workload.running_duration,
        "createTime": workload.create_time,
        "hostIps": workload.host_ips,
        "nodes": [
            {"hostIp": part.host_ip, "gpu": part.resource_requirement.nvidia_com_gpu}
            for part in (workload.nodes or [])
        ],
    }


def pool_phase(client, project_id):
    out = {}
    created = client.create_pool(
        CreatePoolRequest(
            body=CreatePoolRequestBody(
                api_version="v2",
                kind="Pool",
                metadata=PoolMetadataCreation(
                    labels=PoolLabelsCreation(os_modelarts_name=LABEL),
                    annotations=PoolAnnotationsCreation(os_modelarts_description="conformance"),
                ),
                spec=PoolSpecCreation(
                    type="Dedicate",
                    scope=["Train"],
                    network=PoolSpecCreationNetwork(name="network-sdk-conformance"),
                    resources=[PoolResourceFlavor(flavor=GPU, count=1), PoolResourceFlavor(flavor=NPU, count=1)],
                ),
            )
        )
    )
    check(isinstance(created, CreatePoolResponse), "create did not answer a CreatePoolResponse")
    name = created.metadata.name
    check(name == "%s-%s" % (LABEL, project_id), "created pool is named %r" % name)
    check(created.metadata.labels.os_modelarts_name == LABEL, "created pool lost its label name")
    out["pool"] = name

    shown = client.show_pool(ShowPoolRequest(pool_name=name))
    check(isinstance(shown, ShowPoolResponse), "show did not answer a ShowPoolResponse")
    check(shown.kind == "Pool" and shown.spec.type == "Dedicate", "show answered %r %r" % (shown.kind, shown.spec.type))
    out["shownPhase"] = shown.status.phase

    listed = client.list_pools(ListPoolsRequest())
    check(isinstance(listed, ListPoolsResponse), "list did not answer a ListPoolsResponse")
    out["listed"] = [item.metadata.name for item in listed.items]

    patched = client.patch_pool(
        PatchPoolRequest(
            pool_name=name,
            body=PoolUpdateRequest(
                spec=PoolSpecUpdate(
                    resources=[PoolSpecUpdateResources(flavor=GPU, count=3), PoolSpecUpdateResources(flavor=NPU, count=1)]
                )
            ),
        )
    )
    check(isinstance(patched, PatchPoolResponse), "PATCH did not answer a PatchPoolResponse")
    out["patchedCounts"] = {entry.flavor: entry.count for entry in patched.spec.resources}

    nodes = []
    pages = 0
    token = None
    while True:
        request = ListPoolNodesRequest(pool_name=name, limit=2)
        if token:
            request._continue = token
        page = client.list_pool_nodes(request)
        check(isinstance(page, ListPoolNodesResponse), "list nodes did not answer a ListPoolNodesResponse")
        check(page.kind == "NodeList", "node list kind is %r" % page.kind)
        pages += 1
        nodes.extend(node_facts(node) for node in page.items)
        token = page.metadata._continue if page.metadata else None
        if not token:
            break
        check(page.metadata.remaining_item_count > 0, "a page with a token says no node remains")
        check(pages < 20, "node listing does not end")
    out["nodes"] = nodes
    out["nodePages"] = pages

    shown_node = client.show_pool_node(ShowPoolNodeRequest(pool_name=name, node_name=nodes[0]["name"]))
    check(isinstance(shown_node, ShowPoolNodeResponse), "show node did not answer a ShowPoolNodeResponse")
    check(shown_node.metadata.name == nodes[0]["name"], "show node answered another node")
    out["shownNode"] = {"name": shown_node.metadata.name, "ip": shown_node.status.private_ip, "phase": shown_node.status.phase}
    return out


def workloads_phase(client, name):
    out = {}
    listed = client.list_workloads(ListWorkloadsRequest(pool_name=name))
    check(isinstance(listed, ListWorkloadsResponse), "list workloads did not answer a ListWorkloadsResponse")
    check(listed.kind == "WorkloadList", "workload list kind is %r" % listed.kind)
    out["workloads"] = [workload_facts(item) for item in listed.items]

    running = client.list_workloads(ListWorkloadsRequest(pool_name=name, status="Running", type="train"))
    out["running"] = [item.uid for item in running.items]
    ips = sorted({ip for item in running.items for ip in item.host_ips.split(",")})
    on_nodes = client.list_workloads(ListWorkloadsRequest(pool_name=name, hostip=ips[:2]))
    out["onFirstTwoIps"] = {"ips": ips[:2], "uids": [item.uid for item in on_nodes.items]}
    page = client.list_workloads(ListWorkloadsRequest(pool_name=name, sort="create_time", ascend=True, offset="1", limit=1))
    out["secondBySubmission"] = [item.uid for item in page.items]

    statistics = client.show_workload_statistics(ShowWorkloadStatisticsRequest(pool_name=name))
    check(isinstance(statistics, ShowWorkloadStatisticsResponse), "workload statistics did not deserialize")
    out["workloadStatistics"] = {
        "total": statistics.statistics.total,
        "items": [
            {
                "type": item.type,
                "total": item.total,
                "queue": item.status.queue,
                "running": item.status.running,
                "completed": item.status.completed,
            }
            for item in statistics.statistics.items
        ],
    }

    pools = client.show_pool_statistics(ShowPoolStatisticsRequest())
    check(isinstance(pools, ShowPoolStatisticsResponse), "pool statistics did not deserialize")
    check(isinstance(pools.operation_time, str) and pools.operation_time.endswith("UTC"), "operationTime is %r" % pools.operation_time)
    status = pools.statistics.status
    out["poolStatistics"] = {"created": status.created, "creating": status.creating, "failed": status.failed, "pending": status.pending}

    nodes = client.list_pool_nodes(ListPoolNodesRequest(pool_name=name)).items
    idle = [
        node.metadata.name
        for node in nodes
        if node.spec.flavor == GPU and node.status.available_resources.nvidia_com_gpu == node.status.resources.nvidia_com_gpu
    ]
    check(idle, "no idle GPU node to delete")
    deleted = client.batch_delete_pool_nodes(
        BatchDeletePoolNodesRequest(pool_name=name, body=NodesDeletionRequest(delete_node_names=[idle[0]]))
    )
    check(isinstance(deleted, BatchDeletePoolNodesResponse), "batch-delete did not answer a BatchDeletePoolNodesResponse")
    check(deleted.status_code == 200, "batch-delete answered %r" % deleted.status_code)
    out["batchDeleted"] = idle[0]
    try:
        client.batch_delete_pool_nodes(
            BatchDeletePoolNodesRequest(pool_name=name, body=NodesDeletionRequest(delete_node_names=["os-node-created-nope0"]))
        )
        raise AssertionError("batch-delete of an unknown node was accepted")
    except ClientRequestException as error:
        out["batchDeleteRefused"] = {"status": error.status_code, "errorCode": error.error_code, "errorMsg": error.error_msg}
    after = client.show_pool(ShowPoolRequest(pool_name=name))
    out["countsAfterBatchDelete"] = {entry.flavor: entry.count for entry in after.spec.resources}

    removed = client.delete_pool(DeletePoolRequest(pool_name=name))
    check(isinstance(removed, DeletePoolResponse), "delete did not answer a DeletePoolResponse")
    out["deleted"] = removed.metadata.name
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--project-id", required=True)
    parser.add_argument("--phase", choices=["pool", "workloads"], required=True)
    parser.add_argument("--pool")
    args = parser.parse_args()
    seen = []
    client = build_client(args.endpoint, args.project_id, seen)
    if args.phase == "pool":
        out = pool_phase(client, args.project_id)
    else:
        out = workloads_phase(client, args.pool)
    out["requests"] = seen
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
