/** The room the demo guide sends newcomers to (on the first tenant of the demo target). */
export const DEMO_ROOM = 'Weekly Sync';
