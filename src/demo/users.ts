import { z } from 'zod';

/** A person of the development IdP. Passwords are shown on the landing page: demo only. */
export const demoUserSchema = z.strictObject({
  username: z.string().regex(/^[a-z][a-z0-9._-]{0,31}$/, 'must be a short lowercase user name'),
  password: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  email: z.email().optional(),
  groups: z.array(z.string().min(1).max(64)).max(20).default([]),
});
export type DemoUser = z.infer<typeof demoUserSchema>;

/**
 * The demo's people, chosen to show the three outcomes of the demo policy (src/demo/index.ts):
 * a moderator, a participant, and someone the policy turns away with its message.
 */
export const DEMO_USERS: DemoUser[] = [
  { username: 'alice', password: 'alice', name: 'Alice Moreau', email: 'alice@demo.example', groups: ['staff', 'moderators'] },
  { username: 'bob', password: 'bob', name: 'Bob Schneider', email: 'bob@demo.example', groups: ['staff'] },
  { username: 'eve', password: 'eve', name: 'Eve Visitor', email: 'eve@elsewhere.example', groups: [] },
];
