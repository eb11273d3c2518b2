// Keys LiteLLM's config knows, by section, so a key Switchyard does not act on is reported as a
// warning that names it ("router_settings.redis_host: redis_host is not supported yet and is
// ignored") instead of being dropped silently. A key nobody knows gets "unknown key", with a
// suggestion when it is close to a known one.
//
// @see https://docs.litellm.ai/docs/proxy/config_settings

import type { ConfigPath } from './config-issue';
import { closestName } from './did-you-mean';
import {
  gatewayConfigSchema,
  generalSettingsSchema,
  litellmParamsSchema,
  litellmSettingsSchema,
  modelListEntrySchema,
  routerSettingsSchema,
} from './schema';

type Section = 'top' | 'model_list_entry' | 'litellm_params' | 'litellm_settings' | 'router_settings' | 'general_settings';

const SECTION_NAMES: Readonly<Record<Section, string>> = {
  top: 'the top level',
  model_list_entry: 'a model_list entry',
  litellm_params: 'model_list[].litellm_params',
  litellm_settings: 'litellm_settings',
  router_settings: 'router_settings',
  general_settings: 'general_settings',
};

/** Keys Switchyard reads: exactly the keys the schema names. */
const SUPPORTED_KEYS: Readonly<Record<Section, readonly string[]>> = {
  top: Object.keys(gatewayConfigSchema.shape),
  model_list_entry: Object.keys(modelListEntrySchema.shape),
  litellm_params: Object.keys(litellmParamsSchema.shape),
  litellm_settings: Object.keys(litellmSettingsSchema.shape),
  router_settings: Object.keys(routerSettingsSchema.shape),
  general_settings: Object.keys(generalSettingsSchema.shape),
};

/** Keys LiteLLM knows that Switchyard does not act on yet. */
const LITELLM_ONLY_KEYS: Readonly<Record<Section, readonly string[]>> = {
  top: [
    'callback_settings',
    'credential_list',
    'guardrails',
    'assistant_settings',
    'files_settings',
    'finetune_settings',
    'mcp_servers',
    'search_tools',
    'vector_store_registry',
    'prompts',
  ],
  model_list_entry: [],
  litellm_params: [
    'region_name',
    'aws_access_key_id',
    'aws_secret_access_key',
    'aws_session_token',
    'aws_region_name',
    'aws_profile_name',
    'aws_role_name',
    'aws_session_name',
    'aws_web_identity_token',
    'aws_sts_endpoint',
    'aws_bedrock_runtime_endpoint',
    'vertex_project',
    'vertex_location',
    'vertex_credentials',
    'watsonx_region_name',
    'azure_ad_token',
    'azure_username',
    'azure_password',
    'azure_scope',
    'tenant_id',
    'client_id',
    'client_secret',
    'litellm_credential_name',
    'use_in_pass_through',
    'use_litellm_proxy',
    'merge_reasoning_content_in_choices',
    'input_cost_per_second',
    'output_cost_per_second',
    'cache_creation_input_token_cost',
    'cache_read_input_token_cost',
    'configurable_clientside_auth_params',
    'max_budget',
    'budget_duration',
    'tags',
    'num_retries',
    'max_parallel_requests',
    'metadata',
    'base_model',
    'api_type',
    'cache_control_injection_points',
    'additional_drop_params',
    'allowed_openai_params',
    'supports_system_message',
    'mock_timeout',
    'stream',
    'tools',
    'tool_choice',
    'functions',
    'function_call',
    'top_k',
    'thinking',
    'extra_body',
    'user',
  ],
  litellm_settings: [
    'success_callback',
    'failure_callback',
    'callbacks',
    'service_callbacks',
    'turn_off_message_logging',
    'redact_user_api_key_info',
    'redact_messages_in_exceptions',
    'langfuse_default_tags',
    'modify_params',
    'enable_preview_features',
    'set_verbose',
    'json_logs',
    'default_fallbacks',
    'fallbacks',
    'content_policy_fallbacks',
    'context_window_fallbacks',
    'force_ipv4',
    'cache',
    'cache_params',
    'disable_end_user_cost_tracking',
    'disable_end_user_cost_tracking_prometheus_only',
    'key_generation_settings',
    'disable_add_transform_inline_image_block',
    'use_chat_completions_url_for_anthropic_messages',
    'disable_hf_tokenizer_download',
    'enable_json_schema_validation',
    'enable_key_alias_format_validation',
    'disable_copilot_system_to_assistant',
    'mcp_aliases',
    'max_budget',
    'budget_duration',
    'default_team_settings',
    'default_internal_user_params',
    'default_key_generate_params',
    'upperbound_key_generate_params',
    'max_internal_user_budget',
    'internal_user_budget_duration',
    'max_end_user_budget',
    'allowed_fails',
    'cooldown_time',
    'ssl_verify',
    'telemetry',
    'return_response_headers',
    'public_model_groups',
    'guardrails',
    'priority_reservation',
  ],
  router_settings: [
    'redis_host',
    'redis_password',
    'redis_port',
    'redis_db',
    'redis_url',
    'enable_pre_call_checks',
    'enable_pre_call_check',
    'allowed_fails',
    'allowed_fails_policy',
    'cooldown_time',
    'disable_cooldowns',
    'enable_tag_filtering',
    'tag_filtering_match_any',
    'retry_policy',
    'model_group_retry_policy',
    'fallbacks',
    'content_policy_fallbacks',
    'context_window_fallbacks',
    'default_fallbacks',
    'max_fallbacks',
    'default_max_parallel_requests',
    'default_priority',
    'polling_interval',
    'default_litellm_params',
    'timeout',
    'stream_timeout',
    'debug_level',
    'client_ttl',
    'cache_kwargs',
    'cache_responses',
    'caching_groups',
    'routing_strategy_args',
    'model_group_alias',
    'alerting_config',
    'assistants_config',
    'set_verbose',
    'retry_after',
    'provider_budget_config',
    'router_general_settings',
    'optional_pre_call_checks',
    'deployment_affinity_ttl_seconds',
    'ignore_invalid_deployments',
    'search_tools',
    'guardrail_list',
  ],
  general_settings: [
    'completion_model',
    'embedding_model',
    'image_generation_model',
    'moderation_model',
    'disable_spend_logs',
    'disable_spend_updates',
    'disable_master_key_return',
    'disable_retry_on_max_parallel_request_limit_error',
    'disable_reset_budget',
    'disable_adding_master_key_hash_to_db',
    'disable_responses_id_security',
    'disable_prisma_schema_update',
    'enable_jwt_auth',
    'litellm_jwtauth',
    'enable_oauth2_auth',
    'enable_oauth2_proxy_auth',
    'oauth2_config_mappings',
    'enforce_user_param',
    'enforced_params',
    'reject_clientside_metadata_tags',
    'allowed_routes',
    'public_routes',
    'admin_only_routes',
    'allowed_ips',
    'key_management_system',
    'key_management_settings',
    'use_azure_key_vault',
    'use_google_kms',
    'database_connection_pool_limit',
    'database_connection_timeout',
    'store_model_in_db',
    'supported_db_objects',
    'store_prompts_in_spend_logs',
    'custom_auth',
    'custom_sso',
    'custom_key_generate',
    'max_parallel_requests',
    'global_max_parallel_requests',
    'infer_model_from_keys',
    'background_health_checks',
    'health_check_interval',
    'health_check_details',
    'alerting',
    'alerting_threshold',
    'alerting_args',
    'alert_types',
    'alert_to_webhook_url',
    'spend_report_frequency',
    'use_client_credentials_pass_through_routes',
    'pass_through_endpoints',
    'use_x_forwarded_for',
    'service_account_settings',
    'user_mcp_management_mode',
    'max_response_size_mb',
    'proxy_budget_rescheduler_min_time',
    'proxy_budget_rescheduler_max_time',
    'proxy_batch_polling_interval',
    'default_team_disabled',
    'allow_user_auth',
    'litellm_key_header_name',
    'allow_client_side_credentials',
    'ui_access_mode',
    'litellm_license',
    'forward_openai_org_id',
    'forward_client_headers_to_llm_api',
    'maximum_spend_logs_retention_interval',
  ],
};

/** Where to look for a key written in the wrong section, most likely first. */
const HOME_ORDER: readonly Section[] = [
  'top',
  'litellm_settings',
  'router_settings',
  'general_settings',
  'model_list_entry',
  'litellm_params',
];

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A key to report, with the message. */
export interface KeyFinding {
  readonly path: ConfigPath;
  readonly message: string;
}

function checkSection(section: Section, value: unknown, path: ConfigPath, findings: KeyFinding[]): void {
  if (!isMapping(value)) return;
  const supported = SUPPORTED_KEYS[section];
  const litellmOnly = LITELLM_ONLY_KEYS[section];
  for (const key of Object.keys(value)) {
    if (supported.includes(key)) continue;
    const keyPath = [...path, key];
    if (litellmOnly.includes(key)) {
      findings.push({ path: keyPath, message: `${key} is not supported yet and is ignored` });
      continue;
    }
    const homes = HOME_ORDER.filter(
      (other) => other !== section && (SUPPORTED_KEYS[other].includes(key) || LITELLM_ONLY_KEYS[other].includes(key)),
    );
    if (homes.length > 0) {
      const where = homes.map((home) => SECTION_NAMES[home]).join(' or ');
      findings.push({ path: keyPath, message: `${key} belongs in ${where}, not ${SECTION_NAMES[section]}; here it is ignored` });
      continue;
    }
    const suggestion = closestName(key, [...supported, ...litellmOnly]);
    findings.push({
      path: keyPath,
      message:
        suggestion === undefined
          ? `unknown key ${key}; it is ignored`
          : `unknown key ${key}; did you mean ${suggestion}? it is ignored`,
    });
  }
}

/**
 * Every key of the merged config that Switchyard ignores: LiteLLM keys it does not support yet and
 * keys nobody knows. Sections with the wrong shape are skipped; the schema reports those.
 */
export function findIgnoredKeys(config: Readonly<Record<string, unknown>>): KeyFinding[] {
  const findings: KeyFinding[] = [];
  checkSection('top', config, [], findings);
  const modelList = config['model_list'];
  if (Array.isArray(modelList)) {
    modelList.forEach((entry: unknown, index) => {
      checkSection('model_list_entry', entry, ['model_list', index], findings);
      if (isMapping(entry)) {
        checkSection('litellm_params', entry['litellm_params'], ['model_list', index, 'litellm_params'], findings);
      }
    });
  }
  for (const section of ['litellm_settings', 'router_settings', 'general_settings'] as const) {
    checkSection(section, config[section], [section], findings);
  }
  return findings;
}
