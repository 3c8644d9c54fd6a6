// The three functions the way the reference designs write them: AWS SDK v3
// DocumentClient created at module load (init), a PutCommand per POST, and a
// GET that Scans the whole table, sorts and returns everything.
"use strict";

const { randomUUID } = require("node:crypto");
const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");
const { DynamoDBDocumentClient, PutCommand, ScanCommand } = require("@aws-sdk/lib-dynamodb");

const TABLE = process.env.TABLE_NAME;
const REGION = process.env.AWS_REGION;
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

const json = (statusCode, body) => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

exports.storeEpochTime = async () => {
  const now = Date.now();
  const item = { id: randomUUID(), epoch: Math.floor(now / 1000), epochMillis: now, region: REGION };
  await db.send(new PutCommand({ TableName: TABLE, Item: item }));
  return json(201, item);
};

exports.getEpochStore = async () => {
  const items = [];
  let ExclusiveStartKey;
  do {
    const page = await db.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey }));
    items.push(...page.Items);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  items.sort((a, b) => b.epochMillis - a.epochMillis);
  return json(200, { items, count: items.length, region: REGION });
};

exports.health = async () => json(200, { status: "ok", region: REGION });
