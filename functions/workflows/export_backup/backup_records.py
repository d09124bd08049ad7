"""The last export of each image, per backup job: how a scheduled backup skips unchanged images.

An image is unchanged when its ARN and creation time are those of its last export
(a deleted and recreated image of the same name has a new creation time). The record
is kept in the runs table rather than read back from ListExportImageTasks: AppStream
does not say how long it lists finished tasks, and an AMI a retention job deleted
should be exported again, which only our own record can be told about.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.core import clients, names, timeutil
from functions.core.dynamo import dependency_error, deserialize, is_condition_failure, serialize


class BackupRecords:
    def __init__(self, table: str) -> None:
        self.table = table

    def last_exports(self, job: str) -> dict[str, dict[str, Any]]:
        """Image name -> its last recorded export, for every image the job exported."""
        found: dict[str, dict[str, Any]] = {}
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :images)",
            "ExpressionAttributeNames": {"#pk": names.PARTITION_KEY, "#sk": names.SORT_KEY},
            "ExpressionAttributeValues": serialize(
                {":pk": names.backup_pk(job), ":images": names.BACKUP_IMAGE_SK_PREFIX}
            ),
            "ConsistentRead": True,
        }
        while True:
            try:
                response = clients.dynamodb().query(**arguments)
            except (ClientError, BotoCoreError) as error:
                raise dependency_error(error, "Query backup records") from error
            for item in response.get("Items", []):
                record = deserialize(item)
                found[str(record["image_name"])] = record
            if "LastEvaluatedKey" not in response:
                return found
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def record_export(self, job: str, image: dict[str, Any], ami: dict[str, Any], run_id: str) -> bool:
        """Keep this export as the image's last one, unless a newer image version is recorded already.

        A replayed task, or an older run finishing late, never replaces a newer record.
        """
        item = {
            names.PARTITION_KEY: names.backup_pk(job),
            names.SORT_KEY: names.backup_image_sk(str(image["image_name"])),
            "image_name": image["image_name"],
            "image_arn": image["image_arn"],
            "image_created": image["created"],
            "ami_name": ami["ami_name"],
            "ami_id": ami["ami_id"],
            "task_id": ami["task_id"],
            "run_id": run_id,
            "exported_at": timeutil.iso(timeutil.now()),
        }
        try:
            clients.dynamodb().put_item(
                TableName=self.table,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(#pk) OR image_created <= :created",
                ExpressionAttributeNames={"#pk": names.PARTITION_KEY},
                ExpressionAttributeValues=serialize({":created": image["created"]}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise dependency_error(error, "PutItem backup record") from error
        except BotoCoreError as error:
            raise dependency_error(error, "PutItem backup record") from error
        return True


def unchanged(image: dict[str, Any], last: dict[str, Any] | None) -> bool:
    return (
        last is not None
        and last.get("image_arn") == image["image_arn"]
        and float(last.get("image_created", -1)) == float(image["created"])
    )
