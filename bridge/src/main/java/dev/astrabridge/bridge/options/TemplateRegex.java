package dev.astrabridge.bridge.options;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a Dataflow Flex Template parameter must match, next to the option it checks. The template's metadata
 * (deploy/dataflow/metadata.json) is generated from the options interfaces, these included, so the two cannot drift;
 * {@link Settings} still checks every value at start (Flex Template regexes only guard the console and gcloud).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface TemplateRegex {
  String value();
}
