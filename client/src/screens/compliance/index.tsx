/**
 * The compliance console: the audit log's history (filters, paging back, actor and patient by
 * name, new entries arriving live at the top under the same filters), erasure (find the person,
 * a typed reason, a confirmation that names them and what cannot be undone, the outcome or the
 * legal-hold refusal shown plainly), and staff accounts (deactivate; creation stays on the
 * command line).
 */
import { AuditLog } from './audit.js';
import { Erasure } from './erasure.js';
import { StaffAccounts } from './staff.js';
import '../screens.css';

export default function ComplianceScreen() {
  return (
    <div class="wide-stack">
      <AuditLog />
      <Erasure />
      <StaffAccounts />
    </div>
  );
}
