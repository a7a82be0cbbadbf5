/** The message `f` throws with, or '' when it returns (a test then fails on the message it expected). */
export const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};
