import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import type { Plugin } from "graphql-yoga";

/**
 * With introspection off, __schema and __type are refused at validation, and "Did you mean …?"
 * hints in validation errors are hidden, since they would spell the schema out field by field.
 */
export function schemaPrivacyPlugins(introspection: boolean): Plugin[] {
  if (introspection) return [];
  return [useDisableIntrospection(), blockFieldSuggestionsPlugin() as Plugin];
}
