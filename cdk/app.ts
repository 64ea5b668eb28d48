import { App } from 'aws-cdk-lib';
import { RecoupStack } from './recoupStack.ts';
import { addRulePacks } from './rulePacks.ts';

// Environment-agnostic: `cdk deploy` takes account and region from the caller's credentials.
// Feature flags come from cdk.json's context (the CDK CLI passes them to the app).
const app = new App();
new RecoupStack(app, 'Recoup', {
  description: 'recoup: payer recoupment analytics (835 → Parquet lake → marts)',
});
// Security rule packs run at every synth; an unacknowledged finding fails it.
addRulePacks(app);
app.synth();
