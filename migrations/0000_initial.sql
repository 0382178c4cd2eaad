CREATE TABLE "access_tokens" (
	"key_id" bigint PRIMARY KEY NOT NULL,
	"token" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"refreshed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "affinity" (
	"hash" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"key_id" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "affinity_pk" PRIMARY KEY("hash","provider","model")
);
--> statement-breakpoint
CREATE TABLE "attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"request_id" text NOT NULL,
	"attempt_no" integer DEFAULT 1 NOT NULL,
	"final" boolean DEFAULT false NOT NULL,
	"source" text DEFAULT 'upstream' NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"key_id" bigint,
	"triple_id" bigint,
	"proxy_id" bigint,
	"outcome" text NOT NULL,
	"status" integer,
	"latency_ms" integer,
	"ttfb_ms" integer,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"cached_tokens" integer,
	"stream" boolean DEFAULT false NOT NULL,
	"probe" boolean DEFAULT false NOT NULL,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attempts_outcome_check" CHECK ("attempts"."outcome" in ('ok', 'client_abort', 'invalid_key', 'no_quota', 'rate_limited', 'model_unavailable', 'server_error', 'timeout', 'network_error', 'proxy_error', 'bad_request')),
	CONSTRAINT "attempts_source_check" CHECK ("attempts"."source" in ('upstream', 'cache', 'offline'))
);
--> statement-breakpoint
CREATE TABLE "keeper_leadership" (
	"lock_id" integer PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "keys" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "keys_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"provider" text NOT NULL,
	"fingerprint" text NOT NULL,
	"secret" text NOT NULL,
	"mask" text NOT NULL,
	"source_file" text NOT NULL,
	"source_line" integer NOT NULL,
	"bucket_id" bigint,
	"proxy_id" bigint,
	"disabled" boolean DEFAULT false NOT NULL,
	"removed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"triple_id" bigint NOT NULL,
	"holder" text NOT NULL,
	"request_id" text,
	"slots" integer DEFAULT 1 NOT NULL,
	"reserved_tokens" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "leases_slots_positive" CHECK ("leases"."slots" > 0)
);
--> statement-breakpoint
CREATE TABLE "providers" (
	"name" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"cooldown_until" timestamp with time zone,
	"cooldown_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "providers_type_check" CHECK ("providers"."type" in ('openai_like', 'gemini', 'gigachat', 'anthropic')),
	CONSTRAINT "providers_cooldown_reason_check" CHECK ("providers"."cooldown_reason" in ('invalid_key', 'no_quota', 'rate_limited', 'model_unavailable', 'server_error', 'timeout', 'network_error', 'proxy_error', 'bad_request'))
);
--> statement-breakpoint
CREATE TABLE "proxies" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "proxies_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"pool" text NOT NULL,
	"url" text NOT NULL,
	"mask" text NOT NULL,
	"source_file" text,
	"source_line" integer,
	"healthy" boolean DEFAULT true NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"last_checked_at" timestamp with time zone,
	"last_ok_at" timestamp with time zone,
	"cooldown_until" timestamp with time zone,
	"cooldown_reason" text,
	"removed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "proxies_cooldown_reason_check" CHECK ("proxies"."cooldown_reason" in ('invalid_key', 'no_quota', 'rate_limited', 'model_unavailable', 'server_error', 'timeout', 'network_error', 'proxy_error', 'bad_request'))
);
--> statement-breakpoint
CREATE TABLE "quota_buckets" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "quota_buckets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"provider" text NOT NULL,
	"name" text NOT NULL,
	"cooldown_until" timestamp with time zone,
	"cooldown_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quota_buckets_cooldown_reason_check" CHECK ("quota_buckets"."cooldown_reason" in ('invalid_key', 'no_quota', 'rate_limited', 'model_unavailable', 'server_error', 'timeout', 'network_error', 'proxy_error', 'bad_request'))
);
--> statement-breakpoint
CREATE TABLE "rate_windows" (
	"triple_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"upstream_remaining_requests" integer,
	"upstream_remaining_tokens" bigint,
	"upstream_reset_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rate_windows_pk" PRIMARY KEY("triple_id","kind","window_start"),
	CONSTRAINT "rate_windows_kind_check" CHECK ("rate_windows"."kind" in ('minute', 'day'))
);
--> statement-breakpoint
CREATE TABLE "response_cache" (
	"hash" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"status" integer DEFAULT 200 NOT NULL,
	"body" jsonb,
	"chunks" jsonb,
	"hits" integer DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "state_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "state_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"scope" text NOT NULL,
	"subject" text NOT NULL,
	"triple_id" bigint,
	"key_id" bigint,
	"from_state" text,
	"to_state" text NOT NULL,
	"reason" text,
	"evidence" jsonb,
	"actor" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "state_changes_scope_check" CHECK ("state_changes"."scope" in ('triple', 'key', 'bucket', 'provider', 'proxy'))
);
--> statement-breakpoint
CREATE TABLE "triples" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "triples_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"key_id" bigint NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"state" text DEFAULT 'untested' NOT NULL,
	"reason" text,
	"cooldown_until" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"breaker_level" integer DEFAULT 0 NOT NULL,
	"half_open" boolean DEFAULT false NOT NULL,
	"ewma_success" real DEFAULT 1 NOT NULL,
	"ewma_latency_ms" real,
	"inflight" integer DEFAULT 0 NOT NULL,
	"last_used_at" timestamp with time zone,
	"last_probed_at" timestamp with time zone,
	"last_ok_at" timestamp with time zone,
	"next_probe_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "triples_state_check" CHECK ("triples"."state" in ('untested', 'active', 'cooldown', 'dead', 'no_quota', 'unsupported', 'disabled', 'removed')),
	CONSTRAINT "triples_reason_check" CHECK ("triples"."reason" in ('invalid_key', 'no_quota', 'rate_limited', 'model_unavailable', 'server_error', 'timeout', 'network_error', 'proxy_error', 'bad_request')),
	CONSTRAINT "triples_inflight_non_negative" CHECK ("triples"."inflight" >= 0)
);
--> statement-breakpoint
ALTER TABLE "access_tokens" ADD CONSTRAINT "access_tokens_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "keys" ADD CONSTRAINT "keys_provider_providers_name_fk" FOREIGN KEY ("provider") REFERENCES "public"."providers"("name") ON DELETE no action ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "keys" ADD CONSTRAINT "keys_bucket_id_quota_buckets_id_fk" FOREIGN KEY ("bucket_id") REFERENCES "public"."quota_buckets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "keys" ADD CONSTRAINT "keys_proxy_id_proxies_id_fk" FOREIGN KEY ("proxy_id") REFERENCES "public"."proxies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leases" ADD CONSTRAINT "leases_triple_id_triples_id_fk" FOREIGN KEY ("triple_id") REFERENCES "public"."triples"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quota_buckets" ADD CONSTRAINT "quota_buckets_provider_providers_name_fk" FOREIGN KEY ("provider") REFERENCES "public"."providers"("name") ON DELETE no action ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "rate_windows" ADD CONSTRAINT "rate_windows_triple_id_triples_id_fk" FOREIGN KEY ("triple_id") REFERENCES "public"."triples"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triples" ADD CONSTRAINT "triples_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triples" ADD CONSTRAINT "triples_provider_providers_name_fk" FOREIGN KEY ("provider") REFERENCES "public"."providers"("name") ON DELETE no action ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "affinity_expires_idx" ON "affinity" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "attempts_created_idx" ON "attempts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "attempts_provider_created_idx" ON "attempts" USING btree ("provider","created_at");--> statement-breakpoint
CREATE INDEX "attempts_request_idx" ON "attempts" USING btree ("request_id");--> statement-breakpoint
CREATE UNIQUE INDEX "keys_provider_fingerprint_unique" ON "keys" USING btree ("provider","fingerprint");--> statement-breakpoint
CREATE INDEX "keys_bucket_idx" ON "keys" USING btree ("bucket_id");--> statement-breakpoint
CREATE INDEX "keys_proxy_idx" ON "keys" USING btree ("proxy_id");--> statement-breakpoint
CREATE INDEX "leases_triple_idx" ON "leases" USING btree ("triple_id");--> statement-breakpoint
CREATE INDEX "leases_expires_idx" ON "leases" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "leases_holder_idx" ON "leases" USING btree ("holder");--> statement-breakpoint
CREATE UNIQUE INDEX "proxies_pool_url_unique" ON "proxies" USING btree ("pool","url");--> statement-breakpoint
CREATE UNIQUE INDEX "quota_buckets_provider_name_unique" ON "quota_buckets" USING btree ("provider","name");--> statement-breakpoint
CREATE INDEX "rate_windows_window_start_idx" ON "rate_windows" USING btree ("window_start");--> statement-breakpoint
CREATE INDEX "response_cache_expires_idx" ON "response_cache" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "state_changes_created_idx" ON "state_changes" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "state_changes_key_created_idx" ON "state_changes" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "state_changes_triple_created_idx" ON "state_changes" USING btree ("triple_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "triples_key_model_unique" ON "triples" USING btree ("key_id","model");--> statement-breakpoint
CREATE INDEX "triples_lease_idx" ON "triples" USING btree ("provider","model","state","cooldown_until");--> statement-breakpoint
CREATE INDEX "triples_next_probe_idx" ON "triples" USING btree ("next_probe_at");