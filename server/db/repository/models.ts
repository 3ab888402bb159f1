/**
 * objection models of the provider-availability aggregate: a provider, its weekly working
 * intervals and its time off. They map the tables' snake_case columns to the camelCase the
 * API speaks and name the relations once, so the availability repository reads as the domain
 * does ("this provider's working hours") instead of restating joins and column renames.
 *
 * The models are never bound to a global knex (no `Model.knex(...)`): every query names the
 * caller's staff transaction, `Model.query(trx)`, so grants and row-level security decide
 * exactly as they do for the repository's knex queries, and a query without a transaction
 * fails instead of running as the pool's login.
 */
import { Model, snakeCaseMappers, type RelationMappings } from 'objection';

/** The tables speak snake_case, the API camelCase: every model maps between them. */
class ClinicModel extends Model {
  static override columnNameMappers = snakeCaseMappers();
}

/** One working interval: clinic-local times on an ISO weekday (1 = Monday). */
export class WorkingIntervalModel extends ClinicModel {
  static override tableName = 'provider_working_hours';
  static override idColumn = ['provider_id', 'iso_weekday', 'starts_at'];

  providerId!: number;
  isoWeekday!: number;
  /** 'HH:MM:SS' as PostgreSQL's `time` prints it. */
  startsAt!: string;
  endsAt!: string;
}

/** One absence: `period` is a half-open tstzrange; read its bounds with lower()/upper(). */
export class TimeOffModel extends ClinicModel {
  static override tableName = 'provider_time_off';
  static override idColumn = 'time_off_id';

  timeOffId!: number;
  providerId!: number;
  /** The tstzrange as PostgreSQL prints it. */
  period!: string;
  category!: string;
  note!: string | null;
  createdAt!: Date;
}

export class ProviderModel extends ClinicModel {
  static override tableName = 'providers';
  static override idColumn = 'provider_id';

  static override get relationMappings(): RelationMappings {
    return {
      workingHours: {
        relation: Model.HasManyRelation,
        modelClass: WorkingIntervalModel,
        join: { from: 'providers.provider_id', to: 'provider_working_hours.provider_id' },
      },
      timeOff: {
        relation: Model.HasManyRelation,
        modelClass: TimeOffModel,
        join: { from: 'providers.provider_id', to: 'provider_time_off.provider_id' },
      },
    };
  }

  providerId!: number;
  name!: string;
  specialty!: string;
  workingHours?: WorkingIntervalModel[];
  timeOff?: TimeOffModel[];
}
