#!/bin/bash
# Run by LocalStack (mounted at /etc/localstack/init/ready.d) once it is ready to serve requests:
# creates the mail queue and its dead-letter queue, as `cinema provision` and template.yaml do.
#
# Idempotent: create-queue returns the existing queue when given no attributes, and
# set-queue-attributes simply sets the same values again, so this script can be re-run
#   docker-compose exec localstack /etc/localstack/init/ready.d/init-aws.sh
# and `cinema provision` can run after it: LocalStack compares attribute values as strings, so the
# RedrivePolicy below is written exactly as cli/src/provision.rs writes it (compact JSON,
# maxReceiveCount as the string "5"); any other spelling makes provision fail with
# QueueAlreadyExists.
set -euo pipefail

region=${AWS_DEFAULT_REGION:-us-east-1}
queue=cinema-mail
dlq=$queue-dlq
max_receive_count=5
visibility_timeout=60

dlq_url=$(awslocal --region "$region" sqs create-queue --queue-name "$dlq" \
  --query QueueUrl --output text)
dlq_arn=$(awslocal --region "$region" sqs get-queue-attributes --queue-url "$dlq_url" \
  --attribute-names QueueArn --query Attributes.QueueArn --output text)

queue_url=$(awslocal --region "$region" sqs create-queue --queue-name "$queue" \
  --query QueueUrl --output text)
redrive_policy="{\"deadLetterTargetArn\":\"$dlq_arn\",\"maxReceiveCount\":\"$max_receive_count\"}"
# The CLI's shorthand syntax cannot carry JSON values: pass the attributes as a JSON document.
attributes=$(printf '{"RedrivePolicy":"%s","VisibilityTimeout":"%s"}' \
  "${redrive_policy//\"/\\\"}" "$visibility_timeout")
awslocal --region "$region" sqs set-queue-attributes --queue-url "$queue_url" \
  --attributes "$attributes"

echo "init-aws: $queue_url (dead letters after $max_receive_count receipts to $dlq_url)"
