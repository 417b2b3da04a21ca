-- The account a machine has signed in (schema/005's machine_accounts), recorded when an agent
-- finds another one than it recorded last. Every value a server-side parameter.
INSERT INTO machine_accounts (machine_name, source, account, email, recorded_at)
SELECT {machine_name:String}, {source:String}, {account:String}, {email:String},
    fromUnixTimestamp64Milli({recorded_at:Int64}, 'UTC')
