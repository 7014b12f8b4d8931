import { z } from 'zod';

/** Who may enter and who moderates. The rule language is defined by the policy concern. */
export const policySchema = z.looseObject({}).default({});
