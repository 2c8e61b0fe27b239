#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

// CDK_SKIP_BUNDLING=1 synthesizes without building the Rust functions (tests, local mode,
// cfn-lint). The CLI reserves the aws:cdk: context prefix, so the app sets it itself.
const app = new App({
  postCliContext: process.env.CDK_SKIP_BUNDLING ? { 'aws:cdk:bundling-stacks': [] } : undefined,
});
buildApp(app);
app.synth();
