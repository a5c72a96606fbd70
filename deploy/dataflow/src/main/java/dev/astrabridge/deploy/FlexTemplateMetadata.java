package dev.astrabridge.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.TemplateRegex;
import java.beans.Introspector;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * The Dataflow Flex Template metadata (deploy/dataflow/metadata.json), generated from the bridge's options
 * interfaces: one parameter per option of dev.astrabridge.bridge.options, with its name, a label, the option's
 * {@link Description} (and default) as help text, and its {@link TemplateRegex}. Every parameter is optional in the
 * template: which ones a job needs depends on --mode, and BridgeMain checks them all at start.
 *
 * <p>{@code java -cp astra-bridge-bundled.jar dev.astrabridge.deploy.FlexTemplateMetadata deploy/dataflow/metadata.json}
 * rewrites the file; FlexTemplateMetadataTest fails when the committed file and the options differ.
 */
public final class FlexTemplateMetadata {
  static final String OPTIONS_PACKAGE = "dev.astrabridge.bridge.options";

  public static String generate() {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("name", "astra-bridge");
    root.put("description", "Streaming bridge between Pub/Sub, Astra Streaming (Pulsar) and Astra DB: --mode=ingest"
        + " (a topic into Astra DB), mirror (Pub/Sub <-> Astra Streaming), load and export (batch). Secrets are given as"
        + " Secret Manager versions (projects/P/secrets/S/versions/V), resolved on the workers.");
    ArrayNode parameters = root.putArray("parameters");
    for (Method getter : getters()) {
      String name = Introspector.decapitalize(getter.getName().substring(3));
      ObjectNode p = parameters.addObject();
      p.put("name", name);
      p.put("label", label(name));
      String help = getter.getAnnotation(Description.class).value();
      String def = defaultOf(getter);
      p.put("helpText", def == null ? help : help + ". Default: " + def);
      p.put("isOptional", true);
      TemplateRegex regex = getter.getAnnotation(TemplateRegex.class);
      if (regex != null) {
        p.putArray("regexes").add(regex.value());
      }
    }
    try {
      return json.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The options' getters: BridgeOptions first, then each options interface it extends, in declaration order. */
  static List<Method> getters() {
    Set<Class<?>> interfaces = new LinkedHashSet<>();
    collect(BridgeOptions.class, interfaces);
    List<Method> getters = new ArrayList<>();
    for (Class<?> type : interfaces) {
      List<Method> own = new ArrayList<>();
      for (Method m : type.getDeclaredMethods()) {
        if (m.getName().startsWith("get") && m.getParameterCount() == 0 && m.isAnnotationPresent(Description.class)) {
          own.add(m);
        }
      }
      own.sort(Comparator.comparing(Method::getName));
      getters.addAll(own);
    }
    return getters;
  }

  private static void collect(Class<?> type, Set<Class<?>> into) {
    if (type.getPackageName().equals(OPTIONS_PACKAGE) && into.add(type)) {
      for (Class<?> parent : type.getInterfaces()) {
        collect(parent, into);
      }
    }
  }

  static String defaultOf(Method getter) {
    if (getter.isAnnotationPresent(Default.String.class)) {
      return getter.getAnnotation(Default.String.class).value();
    }
    if (getter.isAnnotationPresent(Default.Integer.class)) {
      return String.valueOf(getter.getAnnotation(Default.Integer.class).value());
    }
    if (getter.isAnnotationPresent(Default.Boolean.class)) {
      return String.valueOf(getter.getAnnotation(Default.Boolean.class).value());
    }
    if (getter.isAnnotationPresent(Default.Long.class)) {
      return String.valueOf(getter.getAnnotation(Default.Long.class).value());
    }
    return null;
  }

  /** pulsarServiceUrl → "Pulsar service URL". */
  static String label(String name) {
    String[] words = name.split("(?<=[a-z0-9])(?=[A-Z])");
    StringBuilder label = new StringBuilder();
    for (int i = 0; i < words.length; i++) {
      String w = words[i];
      String upper = w.toUpperCase(java.util.Locale.ROOT);
      boolean acronym = List.of("URL", "ID", "TLS", "DC", "CQL").contains(upper);
      label.append(i == 0 ? "" : " ").append(acronym ? upper : i == 0
          ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w.toLowerCase(java.util.Locale.ROOT));
    }
    return label.toString();
  }

  public static void main(String[] args) throws IOException {
    String metadata = generate();
    if (args.length == 0) {
      System.out.print(metadata);
    } else {
      Files.writeString(Path.of(args[0]), metadata, StandardCharsets.UTF_8);
    }
  }

  private FlexTemplateMetadata() {}
}
