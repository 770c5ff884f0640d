// asl-validator ships no types for its entry point; this declares what the tests use.
declare module 'asl-validator' {
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): {
    isValid: boolean;
    errors: { message: string }[];
    errorsText?: (separator?: string) => string;
  };
}
