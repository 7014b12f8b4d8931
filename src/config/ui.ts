import { z } from 'zod';

/** Branding of the pages people see. */
export const uiSchema = z.looseObject({}).default({});
