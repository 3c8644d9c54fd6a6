# What the roles may do: "*" only for the documented exceptions, state limited
# to the role's own key, two environments' roles sharing nothing but the
# account-wide resources listed here, the plan role read-only.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  github_repository = "example-org/epochstore"
  state_bucket      = "epochstore-tfstate-123456789012-eu-central-1"
  state_kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  state_region      = "eu-central-1"
  hosted_zone_ids   = { dev = "Z0DEV0000000001", prod = "Z0PROD000000001" }
}

run "star_only_for_actions_without_resource_level_permissions" {
  command = plan

  assert {
    condition = toset(flatten([
      for k, p in aws_iam_policy.github : [
        for st in jsondecode(p.policy).Statement : st.Action if st.Effect == "Allow" && contains(flatten([st.Resource]), "*")
      ] if startswith(k, "deploy-dev/")
      ])) == toset([
      "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:DescribeResourcePolicies",
      "logs:CreateLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:PutResourcePolicy",
      "kms:CreateKey", "kms:ListAliases",
      "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies", "application-autoscaling:DescribeScalingActivities",
      "route53:ListHostedZones", "route53:ListHostedZonesByName", "route53:CreateHealthCheck",
      "acm:RequestCertificate",
      "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe",
      "synthetics:CreateCanary",
    ])
    error_message = "An Allow statement on \"*\" must hold only the listed actions that have no resource-level permissions."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_policy.github : [
        for st in jsondecode(p.policy).Statement : !contains(flatten([st.Resource]), "*") || length(flatten([st.Resource])) == 1
      ]
    ]))
    error_message = "\"*\" must stand alone in its statement, so that no scoped action hides among the exceptions."
  }

  assert {
    condition = toset(flatten([
      for k, p in aws_iam_policy.github : [
        for st in jsondecode(p.policy).Statement : st.Sid if st.Effect == "Allow" && contains(flatten([st.Resource]), "*") && can(st.Condition)
      ] if startswith(k, "deploy-dev/")
    ])) == toset(["KeyCreate", "CertificateRequest", "CanaryCreate"])
    error_message = "Creates on \"*\" that accept tags must be tag-conditioned."
  }

  assert {
    condition = alltrue([
      for k, p in aws_iam_policy.github : length(p.policy) <= 6144
    ])
    error_message = "A managed policy holds at most 6,144 characters."
  }
}

run "state_limited_to_the_environment_key" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_policy.github["deploy-dev/state"].policy).Statement == [
      {
        Sid       = "StateList"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = ["arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1"]
        Condition = { StringLike = { "s3:prefix" = ["envs/dev/*"] } }
      },
      {
        Sid      = "StateObject"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1/envs/dev/terraform.tfstate"]
      },
      {
        Sid      = "StateLock"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = ["arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1/envs/dev/terraform.tfstate.tflock"]
      },
      {
        Sid       = "StateKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource  = [var.state_kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = "s3.eu-central-1.amazonaws.com" } }
      },
    ]
    error_message = "The dev role must reach exactly envs/dev/terraform.tfstate and its lock file, through S3 only."
  }

  assert {
    condition = toset(flatten([
      for k, p in aws_iam_policy.github : [
        for st in jsondecode(p.policy).Statement : [for r in flatten([st.Resource]) : r if startswith(r, "arn:aws:s3:::epochstore-tfstate-")]
      ] if startswith(k, "deploy-prod/")
      ])) == toset([
      "arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1",
      "arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1/envs/prod/terraform.tfstate",
      "arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1/envs/prod/terraform.tfstate.tflock",
    ])
    error_message = "No prod statement may reach state objects outside envs/prod/."
  }

  assert {
    condition = jsondecode(aws_iam_policy.github["plan/state"].policy).Statement[1] == {
      Sid      = "StateObject"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = [for e in ["dev", "prod"] : "arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1/envs/${e}/terraform.tfstate"]
    }
    error_message = "The plan role reads every environment's state and writes none (no lock: plans run with -lock=false)."
  }
}

run "environments_do_not_overlap" {
  command = plan

  # A grant is a resource with its condition: the same key/* under
  # Environment = dev and under Environment = prod is two different grants.
  assert {
    condition = setintersection(
      toset(flatten([for k, p in aws_iam_policy.github : [
        for st in jsondecode(p.policy).Statement : [for r in st.Resource : "${r} ${jsonencode(try(st.Condition, {}))}"] if st.Effect == "Allow"
      ] if startswith(k, "deploy-dev/")])),
      toset(flatten([for k, p in aws_iam_policy.github : [
        for st in jsondecode(p.policy).Statement : [for r in st.Resource : "${r} ${jsonencode(try(st.Condition, {}))}"] if st.Effect == "Allow"
      ] if startswith(k, "deploy-prod/")])),
      ) == toset([
        # Actions without resource-level permissions (listed in the run above).
        "* {}",
        # The state key encrypts both states; S3 keeps each role to its own objects.
        "${var.state_kms_key_arn} ${jsonencode({ StringEquals = { "kms:ViaService" = "s3.eu-central-1.amazonaws.com" } })}",
        # Account singletons, create-only.
        "arn:aws:iam::123456789012:role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication ${jsonencode({ StringEquals = { "iam:AWSServiceName" = ["replication.dynamodb.amazonaws.com", "dynamodb.application-autoscaling.amazonaws.com", "ops.apigateway.amazonaws.com"] } })}",
        "arn:aws:iam::123456789012:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable ${jsonencode({ StringEquals = { "iam:AWSServiceName" = ["replication.dynamodb.amazonaws.com", "dynamodb.application-autoscaling.amazonaws.com", "ops.apigateway.amazonaws.com"] } })}",
        "arn:aws:iam::123456789012:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway ${jsonencode({ StringEquals = { "iam:AWSServiceName" = ["replication.dynamodb.amazonaws.com", "dynamodb.application-autoscaling.amazonaws.com", "ops.apigateway.amazonaws.com"] } })}",
        # DynamoDB's default key, owned by AWS: DescribeKey through its alias only (aws_dynamodb_table_replica).
        "arn:aws:kms:*:123456789012:key/* ${jsonencode({ StringEquals = { "kms:RequestAlias" = "alias/aws/dynamodb" } })}",
        # A list call, authorised on log-group:*.
        "arn:aws:logs:*:123456789012:log-group:* {}",
        # Route53: change ids and health checks have no names and no tag conditions.
        "arn:aws:route53:::change/* {}",
        "arn:aws:route53:::healthcheck/* {}",
        # Tagging an API or domain: Environment and Project are guarded (guards policy).
        "arn:aws:apigateway:*::/tags/* {}",
        # HTTP API routes, integrations, deployments and JWT authorizers carry no tags.
        "arn:aws:apigateway:*::/apis/*/routes {}",
        "arn:aws:apigateway:*::/apis/*/routes/* {}",
        "arn:aws:apigateway:*::/apis/*/integrations {}",
        "arn:aws:apigateway:*::/apis/*/integrations/* {}",
        "arn:aws:apigateway:*::/apis/*/deployments {}",
        "arn:aws:apigateway:*::/apis/*/deployments/* {}",
        "arn:aws:apigateway:*::/apis/*/authorizers {}",
        "arn:aws:apigateway:*::/apis/*/authorizers/* {}",
        # AWS's own Synthetics runtime layers, read only.
        "arn:aws:lambda:*:*:layer:Synthetics:* {}",
        "arn:aws:lambda:*:*:layer:Synthetics_Selenium:* {}",
        "arn:aws:lambda:*:*:layer:AWS-CW-Synthetics*:* {}",
    ])
    error_message = "dev and prod roles may share only the account-wide grants listed in this test."
  }

  assert {
    condition = alltrue(flatten([for k, p in aws_iam_policy.github : [
      for st in jsondecode(p.policy).Statement : [
        for r in flatten([st.Resource]) : !can(regex(":iam::[0-9]+:(role|policy)/", r)) || can(regex(":iam::[0-9]+:(role|policy)/(epochstore-dev-|aws-service-role/)", r))
      ]
    ] if startswith(k, "deploy-dev/")]))
    error_message = "The dev role may manage only roles and policies named epochstore-dev-* (never the /github-actions/ roles)."
  }
}

run "plan_role_is_read_only" {
  command = plan

  assert {
    condition = length([for a in flatten([for k, p in aws_iam_policy.github : [
      for st in jsondecode(p.policy).Statement : st.Action
      ] if startswith(k, "plan/")]) : a if can(regex(":(Create|Delete|Put|Update|Tag|Untag|Attach|Detach|Pass|Add|Remove|Change|Register|Deregister|Publish|Schedule|Enable|Disable|Request|Start|Stop|Set|Subscribe|Unsubscribe|Encrypt|Generate|Scan|Query|GetItem|BatchWrite|POST|PUT|PATCH|DELETE)", a))
    ]) == 0
    error_message = "The plan role must hold no action that writes, and none that reads table items."
  }

  assert {
    condition     = !contains(keys(aws_iam_policy.github), "plan/guards") && contains(keys(aws_iam_policy.github), "deploy-dev/guards")
    error_message = "Deploy roles carry the tag guards; the read-only plan role needs none."
  }
}

run "no_dns_without_a_hosted_zone" {
  command = plan

  variables {
    hosted_zone_ids = { prod = "Z0PROD000000001" }
  }

  assert {
    condition = length([for a in flatten([for k, p in aws_iam_policy.github : [
      for st in jsondecode(p.policy).Statement : st.Action if st.Effect == "Allow"
    ] if startswith(k, "deploy-dev/")]) : a if startswith(a, "route53:") || startswith(a, "acm:")]) == 0
    error_message = "An environment without a hosted zone gets no Route53 or ACM permissions."
  }

  assert {
    condition     = [for st in jsondecode(aws_iam_policy.github["deploy-prod/edge"].policy).Statement : st.Resource if st.Sid == "HostedZones"] == [["arn:aws:route53:::hostedzone/Z0PROD000000001"]]
    error_message = "prod may change records in its own zone only."
  }
}

run "roles_are_created_only_inside_the_environment_boundary" {
  command = plan

  assert {
    condition = [for st in jsondecode(aws_iam_policy.github["deploy-dev/compute"].policy).Statement : st.Condition if st.Sid == "BoundedRoles"] == [
      { StringEquals = { "iam:PermissionsBoundary" = ["arn:aws:iam::123456789012:policy/github-actions/epochstore-boundary-dev"] } }
    ]
    error_message = "dev may create roles and change their policies only with dev's boundary attached."
  }

  assert {
    condition = alltrue(flatten([for k, p in aws_iam_policy.github : [
      for st in jsondecode(p.policy).Statement : st.Sid == "BoundedRoles" if st.Effect == "Allow" && length(setintersection(try(st.Action, []), ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"])) > 0
    ]]))
    error_message = "No other statement may grant an action that sets a role's permissions."
  }

  assert {
    condition     = aws_iam_policy.boundary["prod"].name == "epochstore-boundary-prod" && aws_iam_policy.boundary["prod"].path == "/github-actions/"
    error_message = "The boundaries live under /github-actions/, where no deploy role can edit them."
  }

  assert {
    condition = toset(flatten([
      for st in jsondecode(aws_iam_policy.boundary["dev"].policy).Statement : st.Action if contains(flatten([st.Resource]), "*")
      ])) == toset([
      "s3:ListAllMyBuckets", "cloudwatch:PutMetricData",
      "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    ])
    error_message = "The boundary may allow \"*\" only for the listed actions without resource-level permissions."
  }

  assert {
    condition = alltrue(flatten([
      for st in jsondecode(aws_iam_policy.boundary["dev"].policy).Statement : [
        for r in flatten([st.Resource]) : r == "*" || strcontains(r, "epochstore-dev") || st.Sid == "Keys"
      ]
    ]))
    error_message = "dev's boundary may name only dev's resources (keys by tag)."
  }
}

run "tags_cannot_move_a_resource_between_environments" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_policy.github["deploy-dev/guards"].policy).Statement == [
      {
        Sid      = "DenyRetaggingToAnotherEnvironment"
        Effect   = "Deny"
        Action   = ["kms:TagResource", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "acm:AddTagsToCertificate", "application-autoscaling:TagResource"]
        Resource = "*"
        Condition = {
          Null            = { "aws:RequestTag/Environment" = "false" }
          StringNotEquals = { "aws:RequestTag/Environment" = ["dev"] }
        }
      },
      {
        Sid       = "DenyStateKeyManagement"
        Effect    = "Deny"
        NotAction = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"]
      },
      {
        Sid       = "DenyUntaggingEnvironment"
        Effect    = "Deny"
        Action    = ["kms:UntagResource", "apigateway:DELETE", "acm:RemoveTagsFromCertificate", "application-autoscaling:UntagResource"]
        Resource  = "*"
        Condition = { "ForAnyValue:StringEquals" = { "aws:TagKeys" = ["Environment", "Project"] } }
      },
    ]
    error_message = "dev may set Environment only to dev, remove neither Environment nor Project on every tag-scoped kind, and use the untagged state key only to encrypt and decrypt state."
  }

  assert {
    condition = toset(flatten([for k, p in aws_iam_policy.github : [
      for st in jsondecode(p.policy).Statement : st.Sid if can(st.Condition.StringEquals["aws:ResourceTag/Environment"])
      ] if startswith(k, "deploy-dev/")])) == toset([
      "Keys", "FunctionEnvironments", "ScalableTargets", "Apis", "Certificates",
    ])
    error_message = "The tag-scoped statements are exactly those whose kinds the guards cover."
  }
}

# What AWS authorises beyond the call's own action (tests/py/test_policy_authorization.py checks the
# same against the Service Authorization Reference; these pin the statements).
run "creates_are_authorised_as_aws_does" {
  command = plan

  assert {
    condition = [for st in jsondecode(aws_iam_policy.github["deploy-dev/data"].policy).Statement : st if st.Sid == "KeyCreateTags"] == [{
      Sid      = "KeyCreateTags"
      Effect   = "Allow"
      Action   = ["kms:TagResource"]
      Resource = ["arn:aws:kms:*:123456789012:key/*"]
      Condition = {
        StringEquals = { "aws:RequestTag/Environment" = ["dev"], "aws:RequestTag/Project" = "epochstore" }
        Null         = { "aws:ResourceTag/Environment" = "true", "aws:ResourceTag/Project" = "true", "kms:ResourceAliases" = "true" }
      }
    }]
    error_message = "CreateKey with tags needs kms:TagResource on every key of the account, decided by the request's tags, for a key with no tags and no alias yet (one being created)."
  }

  assert {
    condition = [for st in jsondecode(aws_iam_policy.github["deploy-dev/data"].policy).Statement : st.Condition if st.Sid == "ScalableTargetCreate"] == [{
      StringEquals = { "aws:RequestTag/Environment" = ["dev"], "aws:RequestTag/Project" = "epochstore" }
      Null         = { "aws:ResourceTag/Environment" = "true", "aws:ResourceTag/Project" = "true" }
    }]
    error_message = "A scalable target is registered and tagged by the request's tags only while it has no tags (one being registered)."
  }

  assert {
    condition = alltrue([for a in ["dynamodb:CreateGlobalTableWitness", "dynamodb:DeleteGlobalTableWitness"] :
      contains(one([for st in jsondecode(aws_iam_policy.github["deploy-dev/data"].policy).Statement : st.Action if st.Sid == "Table"]), a)
    ])
    error_message = "An MRSC witness region is added and removed with its own actions."
  }

  assert {
    condition = [for st in jsondecode(aws_iam_policy.github["deploy-dev/observability"].policy).Statement : st.Resource if st.Sid == "ScalingAlarms"] == [
      ["arn:aws:cloudwatch:*:123456789012:alarm:TargetTracking-table/epochstore-dev-*"]
    ]
    error_message = "Target tracking creates its alarms TargetTracking-table/<table>-… with the caller's permissions."
  }
}

# The failover operator (make failover, recover, drill) of one environment: its health function, its
# function keys through Lambda, and its state object read-only; nothing of the other environment.
run "operators_reach_their_environments_switch_and_state_only" {
  command = plan

  assert {
    condition = { for st in jsondecode(aws_iam_policy.operator["prod"].policy).Statement : st.Sid => st.Resource } == {
      FailoverSwitch           = "arn:aws:lambda:*:123456789012:function:epochstore-prod-health-check"
      FunctionEnvironmentKey   = "arn:aws:kms:*:123456789012:key/*"
      LambdaGrantOnFunctionKey = "arn:aws:kms:*:123456789012:key/*"
      ListTheEnvironmentsState = "arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1"
      ReadTheEnvironmentsState = "arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1/envs/prod/terraform.tfstate"
      DecryptTheState          = "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    }
    error_message = "prod's operator reaches prod's health function, keys (by tag) and state, and nothing else."
  }

  assert {
    condition = alltrue([for st in jsondecode(aws_iam_policy.operator["prod"].policy).Statement :
      st.Condition.StringEquals["aws:ResourceTag/Environment"] == ["prod"] if startswith(st.Resource, "arn:aws:kms:*:")
    ])
    error_message = "prod's operator may use only prod's function keys."
  }

  assert {
    condition     = aws_iam_policy.operator["prod"].name == "epochstore-operator-prod" && !startswith(aws_iam_policy.operator["prod"].name, "epochstore-prod-")
    error_message = "The operator policy is outside the names a deploy role may edit (<name>-<env>-*)."
  }
}
