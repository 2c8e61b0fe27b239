// asl-validator ships no type declarations; this covers the one call scripts/validate-asl.ts makes.
declare module 'asl-validator' {
  interface ValidationResult {
    isValid: boolean;
    errorsText(separator?: string): string;
  }
  function validator(definition: unknown): ValidationResult;
  export = validator;
}
