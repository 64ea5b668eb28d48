import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { RecoupStack } from './recoupStack.ts';

// Environment-agnostic: `cdk deploy` takes account and region from the caller's credentials.
const app = new App();
new RecoupStack(app, 'Recoup', {
  description: 'recoup: payer recoupment analytics (835 → Parquet lake → marts)',
});
// Security rule packs run at every synth; an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
app.synth();
