# What each role may do, written once for every "scope": a deploy role's scope
# is its environment, the plan role's scope is every environment. Each
# statement lists `read` actions (granted to both) and `write` actions
# (granted to deploy roles only), on resources named <name>-<env>-* as the
# terraform/ root names them.
#
# Resources whose ids AWS makes up (KMS keys, HTTP APIs and custom domains,
# certificates, scalable targets) cannot be matched by name, so their
# statements carry tag conditions instead: the terraform/ root tags everything
# Environment = <env> and Project = <name> through the provider's
# default_tags, a create must carry those tags (aws:RequestTag) and every later
# call must find them (aws:ResourceTag). The `guards` policy denies changing
# or removing those two tags, which would move a resource between environments.
#
# An Allow on `Resource = "*"` appears only for actions that the Service
# Authorization Reference lists without a resource type (no resource-level
# permissions); each one says so next to it, and tests/policies.tftest.hcl
# asserts that set. The guards are Denies, so their "*" takes away, never grants.

locals {
  account = data.aws_caller_identity.current.account_id
  arn     = "arn:${data.aws_partition.current.partition}"

  scopes = merge({ for e in var.environments : "deploy-${e}" => [e] }, { plan = var.environments })

  # Per scope: the name prefixes, the tag condition and the hosted zones.
  prefixes = { for s, envs in local.scopes : s => [for e in envs : "${var.name}-${e}"] }
  tagged = { for s, envs in local.scopes : s => {
    StringEquals = { "aws:ResourceTag/Environment" = envs, "aws:ResourceTag/Project" = var.name }
  } }
  creates_tagged = { for s, envs in local.scopes : s => {
    StringEquals = { "aws:RequestTag/Environment" = envs, "aws:RequestTag/Project" = var.name }
  } }
  # A resource being created carries none of the environment tags yet.
  untagged = { "aws:ResourceTag/Environment" = "true", "aws:ResourceTag/Project" = "true" }
  zones    = { for s, envs in local.scopes : s => [for e in envs : var.hosted_zone_ids[e] if contains(keys(var.hosted_zone_ids), e)] }

  state_bucket_arn = "${local.arn}:s3:::${var.state_bucket}"

  catalogue = { for s, envs in local.scopes : s => {
    state = [
      {
        sid       = "StateList"
        read      = ["s3:ListBucket"]
        write     = []
        resources = [local.state_bucket_arn]
        condition = { StringLike = { "s3:prefix" = [for e in envs : "envs/${e}/*"] } }
      },
      {
        sid       = "StateObject"
        read      = ["s3:GetObject"]
        write     = ["s3:PutObject"]
        resources = [for e in envs : "${local.state_bucket_arn}/envs/${e}/terraform.tfstate"]
      },
      {
        # S3 native locking (use_lockfile); plans in pull requests run with -lock=false.
        sid       = "StateLock"
        read      = []
        write     = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        resources = [for e in envs : "${local.state_bucket_arn}/envs/${e}/terraform.tfstate.tflock"]
      },
      {
        # The state key encrypts every environment's state; S3 decides which objects a role reaches.
        sid       = "StateKey"
        read      = ["kms:Decrypt"]
        write     = ["kms:Encrypt", "kms:GenerateDataKey"]
        resources = [var.state_kms_key_arn]
        condition = { StringEquals = { "kms:ViaService" = "s3.${var.state_region}.amazonaws.com" } }
      },
    ]

    compute = [
      {
        # cwsyn-<canary>-*: the functions and layers Synthetics creates for a canary, with the caller's permissions.
        sid   = "Functions"
        read  = ["lambda:Get*", "lambda:List*"]
        write = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion", "lambda:CreateAlias", "lambda:UpdateAlias", "lambda:DeleteAlias", "lambda:AddPermission", "lambda:RemovePermission", "lambda:PutProvisionedConcurrencyConfig", "lambda:DeleteProvisionedConcurrencyConfig", "lambda:PublishLayerVersion", "lambda:DeleteLayerVersion", "lambda:TagResource", "lambda:UntagResource"]
        resources = flatten([for p in local.prefixes[s] : [
          "${local.arn}:lambda:*:${local.account}:function:${p}-*",
          "${local.arn}:lambda:*:${local.account}:function:cwsyn-${p}-*",
          "${local.arn}:lambda:*:${local.account}:layer:cwsyn-${p}-*",
        ]])
      },
      {
        # A canary's function runs on AWS's own Synthetics runtime layers (another account's), which
        # CreateCanary and UpdateCanary read with the caller's permissions.
        sid       = "SyntheticsRuntimeLayers"
        read      = []
        write     = ["lambda:GetLayerVersion"]
        resources = ["${local.arn}:lambda:*:*:layer:Synthetics:*", "${local.arn}:lambda:*:*:layer:Synthetics_Selenium:*", "${local.arn}:lambda:*:*:layer:AWS-CW-Synthetics*:*"]
      },
      {
        sid       = "Roles"
        read      = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRoleTags"]
        write     = ["iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"]
        resources = [for p in local.prefixes[s] : "${local.arn}:iam::${local.account}:role/${p}-*"]
      },
      {
        # Whatever a role gets, the environment's permissions boundary (boundary.tf) caps it: without this a
        # deploy role could write itself a function role with any permission, and run code with it.
        sid       = "BoundedRoles"
        read      = []
        write     = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"]
        resources = [for p in local.prefixes[s] : "${local.arn}:iam::${local.account}:role/${p}-*"]
        condition = { StringEquals = { "iam:PermissionsBoundary" = [for e in envs : local.boundary_arns[e]] } }
      },
      {
        sid       = "Policies"
        read      = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags"]
        write     = ["iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"]
        resources = [for p in local.prefixes[s] : "${local.arn}:iam::${local.account}:policy/${p}-*"]
      },
      {
        # Functions and canaries run with the environment's own roles, and only Lambda and Synthetics receive them.
        sid       = "PassRoles"
        read      = []
        write     = ["iam:PassRole"]
        resources = [for p in local.prefixes[s] : "${local.arn}:iam::${local.account}:role/${p}-*"]
        condition = { StringEquals = { "iam:PassedToService" = ["lambda.amazonaws.com", "synthetics.amazonaws.com"] } }
      },
      {
        # Account singletons, created with the caller's permissions on the first replica, the first
        # scalable target and the first HTTP API or custom domain of the account (API Gateway's role:
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/using-service-linked-roles.html).
        sid   = "ServiceLinkedRoles"
        read  = []
        write = ["iam:CreateServiceLinkedRole"]
        resources = [
          "${local.arn}:iam::${local.account}:role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication",
          "${local.arn}:iam::${local.account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
          "${local.arn}:iam::${local.account}:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway",
        ]
        condition = { StringEquals = { "iam:AWSServiceName" = ["replication.dynamodb.amazonaws.com", "dynamodb.application-autoscaling.amazonaws.com", "ops.apigateway.amazonaws.com"] } }
      },
      {
        sid   = "LogGroups"
        read  = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
        write = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"]
        resources = flatten([for p in local.prefixes[s] : [
          "${local.arn}:logs:*:${local.account}:log-group:/aws/lambda/${p}-*",
          "${local.arn}:logs:*:${local.account}:log-group:/aws/apigateway/${p}-*",
        ]])
      },
      {
        # A list call: authorised against log-group:* whatever prefix it asks for, and without tag conditions.
        sid       = "LogGroupList"
        read      = ["logs:DescribeLogGroups"]
        write     = []
        resources = ["${local.arn}:logs:*:${local.account}:log-group:*"]
      },
      {
        # HTTP API access logging: log delivery and CloudWatch Logs resource policies have no resource-level permissions.
        sid       = "ApiAccessLogDelivery"
        read      = ["logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:DescribeResourcePolicies"]
        write     = ["logs:CreateLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:PutResourcePolicy"]
        resources = ["*"]
      },
    ]

    data = [
      {
        # Replica creation reads and writes the table through the caller (global tables version 2019.11.21);
        # an MRSC witness region is added and removed with its own actions (global_table_witness).
        sid       = "Table"
        read      = ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:DescribeTableReplicaAutoScaling", "dynamodb:DescribeKinesisStreamingDestination", "dynamodb:GetResourcePolicy", "dynamodb:ListTagsOfResource"]
        write     = ["dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups", "dynamodb:CreateTableReplica", "dynamodb:DeleteTableReplica", "dynamodb:CreateGlobalTableWitness", "dynamodb:DeleteGlobalTableWitness", "dynamodb:UpdateTableReplicaAutoScaling", "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
        resources = flatten([for p in local.prefixes[s] : ["${local.arn}:dynamodb:*:${local.account}:table/${p}", "${local.arn}:dynamodb:*:${local.account}:table/${p}/*"]])
      },
      {
        # Key ids are random: the Environment/Project tags decide. Encrypt/Decrypt/GenerateDataKey: tables, replicas and function environments encrypted with the key.
        sid       = "Keys"
        read      = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
        write     = ["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion", "kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:TagResource", "kms:UntagResource"]
        resources = ["${local.arn}:kms:*:${local.account}:key/*"]
        condition = local.tagged[s]
      },
      {
        # Lambda returns a function's environment (encrypted with the region's key) only to a caller that
        # may decrypt it: without this a plan would see every function's variables as changed.
        sid       = "FunctionEnvironments"
        read      = ["kms:Decrypt"]
        write     = []
        resources = ["${local.arn}:kms:*:${local.account}:key/*"]
        condition = merge(local.tagged[s], { StringLike = { "kms:ViaService" = "lambda.*.amazonaws.com" } })
      },
      {
        # aws_dynamodb_table_replica reads DynamoDB's default key (DescribeKey of alias/aws/dynamodb, to tell
        # it from kms_key_arn: internal/service/dynamodb/table_replica.go). AWS owns that key: it carries no
        # Environment tag, so Keys never matches it; kms:RequestAlias names exactly that alias.
        sid       = "DynamoDBDefaultKey"
        read      = ["kms:DescribeKey"]
        write     = []
        resources = ["${local.arn}:kms:*:${local.account}:key/*"]
        condition = { StringEquals = { "kms:RequestAlias" = "alias/aws/dynamodb" } }
      },
      {
        # kms:CreateKey has no resource-level permissions; the request must tag the key with the environment.
        sid       = "KeyCreate"
        read      = []
        write     = ["kms:CreateKey"]
        resources = ["*"]
        condition = local.creates_tagged[s]
      },
      {
        # CreateKey with Tags (default_tags) is also authorised as kms:TagResource, from a statement not
        # restricted to particular keys (https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html);
        # the new key has no tags yet, so Keys' aws:ResourceTag never matches it. Only a key without tags and
        # without aliases (one being created; every key this project makes has both) may be tagged here:
        # the request's tags alone would let this role claim another environment's key.
        sid       = "KeyCreateTags"
        read      = []
        write     = ["kms:TagResource"]
        resources = ["${local.arn}:kms:*:${local.account}:key/*"]
        condition = merge(local.creates_tagged[s], { Null = merge(local.untagged, { "kms:ResourceAliases" = "true" }) })
      },
      {
        sid       = "KeyAliases"
        read      = []
        write     = ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]
        resources = flatten([for p in local.prefixes[s] : ["${local.arn}:kms:*:${local.account}:alias/${p}", "${local.arn}:kms:*:${local.account}:alias/${p}-*"]])
      },
      {
        # kms:ListAliases has no resource-level permissions (the provider reads aliases through it).
        sid       = "KeyAliasList"
        read      = ["kms:ListAliases"]
        write     = []
        resources = ["*"]
      },
      {
        # Scalable target ids are random: tags decide, on the request for a new target (one without tags yet:
        # the request's tags must not claim another environment's target), on the target afterwards.
        sid       = "ScalableTargetCreate"
        read      = []
        write     = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"]
        resources = ["${local.arn}:application-autoscaling:*:${local.account}:scalable-target/*"]
        condition = merge(local.creates_tagged[s], { Null = local.untagged })
      },
      {
        sid       = "ScalableTargets"
        read      = ["application-autoscaling:ListTagsForResource"]
        write     = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:TagResource", "application-autoscaling:UntagResource"]
        resources = ["${local.arn}:application-autoscaling:*:${local.account}:scalable-target/*"]
        condition = local.tagged[s]
      },
      {
        # Application Auto Scaling's Describe* calls have no resource-level permissions.
        sid       = "ScalingDescribe"
        read      = ["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies", "application-autoscaling:DescribeScalingActivities"]
        write     = []
        resources = ["*"]
      },
    ]

    edge = concat(
      [
        {
          # Creating an HTTP API, a stage or a custom domain: a POST on the collection, with the environment's tags.
          sid       = "ApiCreate"
          read      = []
          write     = ["apigateway:POST"]
          resources = ["${local.arn}:apigateway:*::/apis", "${local.arn}:apigateway:*::/apis/*/stages", "${local.arn}:apigateway:*::/domainnames"]
          condition = local.creates_tagged[s]
        },
        {
          # API and domain ids are random: tags decide. APIs, stages and domain names carry tags, and API
          # mappings are authorised with their domain name's.
          sid       = "Apis"
          read      = ["apigateway:GET"]
          write     = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
          resources = ["${local.arn}:apigateway:*::/apis/*", "${local.arn}:apigateway:*::/domainnames/*"]
          condition = local.tagged[s]
        },
        {
          # HTTP API routes, integrations, deployments and JWT authorizers can carry no tags (API Gateway's
          # tag inheritance is for REST APIs only), so they are matched by kind, in any API of the account.
          sid   = "ApiRoutes"
          read  = ["apigateway:GET"]
          write = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
          resources = flatten([for kind in ["routes", "integrations", "deployments", "authorizers"] : [
            "${local.arn}:apigateway:*::/apis/*/${kind}",
            "${local.arn}:apigateway:*::/apis/*/${kind}/*",
          ]])
        },
        {
          # Tag changes go to /tags/<resource ARN>, which carries no tags of its own; the guards
          # policy keeps Environment and Project out of reach, so only other tags can change.
          sid       = "ApiTags"
          read      = []
          write     = ["apigateway:POST", "apigateway:DELETE"]
          resources = ["${local.arn}:apigateway:*::/tags/*"]
        },
      ],
      # DNS and certificates only for environments with a hosted zone.
      [for st in [
        {
          sid       = "HostedZones"
          read      = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
          write     = ["route53:ChangeResourceRecordSets"]
          resources = [for z in local.zones[s] : "${local.arn}:route53:::hostedzone/${z}"]
        },
        {
          # The hosted-zone data source lists zones: no resource-level permissions.
          sid       = "HostedZoneList"
          read      = ["route53:ListHostedZones", "route53:ListHostedZonesByName"]
          write     = []
          resources = ["*"]
        },
        {
          sid       = "DnsChanges"
          read      = ["route53:GetChange"]
          write     = []
          resources = ["${local.arn}:route53:::change/*"]
        },
        {
          # Route53 supports no tag conditions, so health checks are matched by kind, not by environment.
          sid       = "HealthChecks"
          read      = ["route53:GetHealthCheck", "route53:ListTagsForResource"]
          write     = ["route53:UpdateHealthCheck", "route53:DeleteHealthCheck", "route53:ChangeTagsForResource"]
          resources = ["${local.arn}:route53:::healthcheck/*"]
        },
        {
          # route53:CreateHealthCheck has no resource-level permissions.
          sid       = "HealthCheckCreate"
          read      = []
          write     = ["route53:CreateHealthCheck"]
          resources = ["*"]
        },
        {
          sid       = "Certificates"
          read      = ["acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate"]
          write     = ["acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"]
          resources = ["${local.arn}:acm:*:${local.account}:certificate/*"]
          condition = local.tagged[s]
        },
        {
          # acm:RequestCertificate has no resource-level permissions; the request must carry the environment's tags.
          sid       = "CertificateRequest"
          read      = []
          write     = ["acm:RequestCertificate"]
          resources = ["*"]
          condition = local.creates_tagged[s]
        },
      ] : st if length(local.zones[s]) > 0],
    )

    observability = [
      {
        sid       = "Alarms"
        read      = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
        write     = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
        resources = [for p in local.prefixes[s] : "${local.arn}:cloudwatch:*:${local.account}:alarm:${p}-*"]
      },
      {
        # Target-tracking policies (PROVISIONED billing) make Application Auto Scaling create and delete
        # their alarms TargetTracking-table/<table>-… with the caller's permissions:
        # https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html
        sid       = "ScalingAlarms"
        read      = ["cloudwatch:DescribeAlarms"]
        write     = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"]
        resources = [for p in local.prefixes[s] : "${local.arn}:cloudwatch:*:${local.account}:alarm:TargetTracking-table/${p}-*"]
      },
      {
        sid       = "Dashboards"
        read      = ["cloudwatch:GetDashboard"]
        write     = ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"]
        resources = [for p in local.prefixes[s] : "${local.arn}:cloudwatch::${local.account}:dashboard/${p}-*"]
      },
      {
        sid       = "Topics"
        read      = ["sns:GetTopicAttributes", "sns:GetDataProtectionPolicy", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"]
        write     = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:UntagResource"]
        resources = [for p in local.prefixes[s] : "${local.arn}:sns:*:${local.account}:${p}-*"]
      },
      {
        # SNS has no subscription resource type: these have no resource-level permissions (alarm_email's subscription).
        sid       = "Subscriptions"
        read      = ["sns:GetSubscriptionAttributes"]
        write     = ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
        resources = ["*"]
      },
      {
        sid       = "Canaries"
        read      = ["synthetics:GetCanary", "synthetics:GetCanaryRuns", "synthetics:ListTagsForResource"]
        write     = ["synthetics:UpdateCanary", "synthetics:DeleteCanary", "synthetics:StartCanary", "synthetics:StopCanary", "synthetics:TagResource", "synthetics:UntagResource"]
        resources = [for p in local.prefixes[s] : "${local.arn}:synthetics:*:${local.account}:canary:${p}-*"]
      },
      {
        # synthetics:CreateCanary has no resource type in the Service Authorization Reference: a canary ARN
        # never matches it. The request must tag the canary with the environment.
        sid       = "CanaryCreate"
        read      = []
        write     = ["synthetics:CreateCanary"]
        resources = ["*"]
        condition = local.creates_tagged[s]
      },
      {
        sid       = "ArtifactBuckets"
        read      = ["s3:GetBucket*", "s3:GetAccelerateConfiguration", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket", "s3:ListBucketVersions"]
        write     = ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"]
        resources = [for p in local.prefixes[s] : "${local.arn}:s3:::${p}-*"]
      },
      {
        # Emptying an artifact bucket before it is destroyed.
        sid       = "ArtifactObjects"
        read      = []
        write     = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
        resources = [for p in local.prefixes[s] : "${local.arn}:s3:::${p}-*/*"]
      },
    ]
  } }

  # Environment and Project tags may be set only to the role's own values and
  # never removed: retagging would hand a resource to another environment.
  guards = { for s, envs in local.scopes : s => [
    {
      Sid      = "DenyRetaggingToAnotherEnvironment"
      Effect   = "Deny"
      Action   = local.tagging_actions
      Resource = "*"
      Condition = {
        Null            = { "aws:RequestTag/Environment" = "false" }
        StringNotEquals = { "aws:RequestTag/Environment" = envs }
      }
    },
    {
      # The state key is untagged and its key policy delegates to the account: nothing but the state's own
      # encryption (the StateKey statement's actions) may reach it, whatever another statement allows.
      Sid       = "DenyStateKeyManagement"
      Effect    = "Deny"
      NotAction = flatten([for st in local.catalogue[s].state : concat(st.read, st.write) if st.sid == "StateKey"])
      Resource  = [var.state_kms_key_arn]
    },
    {
      Sid       = "DenyUntaggingEnvironment"
      Effect    = "Deny"
      Action    = local.untagging_actions
      Resource  = "*"
      Condition = { "ForAnyValue:StringEquals" = { "aws:TagKeys" = ["Environment", "Project"] } }
    },
  ] if s != "plan" }

  tagging_actions   = ["kms:TagResource", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "acm:AddTagsToCertificate", "application-autoscaling:TagResource"]
  untagging_actions = ["kms:UntagResource", "apigateway:DELETE", "acm:RemoveTagsFromCertificate", "application-autoscaling:UntagResource"]

  # role/group => statements. Deploy roles get read + write, the plan role read only.
  policies = merge(
    { for pair in flatten([for s, groups in local.catalogue : [for g, statements in groups : {
      key = "${s}/${g}"
      statements = [for st in statements : merge(
        {
          Sid      = st.sid
          Effect   = "Allow"
          Action   = s == "plan" ? st.read : concat(st.read, st.write)
          Resource = st.resources
        },
        can(st.condition) ? { Condition = st.condition } : {},
      ) if length(s == "plan" ? st.read : concat(st.read, st.write)) > 0]
    } if length(statements) > 0]]) : pair.key => pair.statements },
    { for s, statements in local.guards : "${s}/guards" => statements },
  )
}
