/**
 * Escapes text for a Terraform string literal: Terraform reads `${` and `%{`
 * in any string as template syntax, which a patch must never trigger.
 */
export function terraformLiteral(text: string): string {
  return text.replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}
