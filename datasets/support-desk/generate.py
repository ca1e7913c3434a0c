#!/usr/bin/env python3
"""Writes the support-desk dataset: tools.jsonl, queries.jsonl and events.jsonl (deterministic).

Everything here is written for AgentGantry: 100 tools in 10 domains with deliberately confusable
pairs, 1,000 queries (10 per tool: phrasings × polite wrappers; the test split uses phrasings the
training split never sees), and an event log of 380 sessions by 12 users in two teams (wrong picks
among the confusable pairs with their corrections, execution outcomes with latencies, flaky and
slow tools, team preferences, tools that follow each other). The embeddings (tools.npy,
queries.npy) are made by `gantry embed` — see README.md beside this file.

The agent that wrote the log routed with frozen MiniLM embeddings: each event's `selected` is the
tool whose committed embedding (tools.npy) is closest to the query's (queries.npy), so the log's
mistakes are the ones frozen retrieval really makes, and its corrections are what users would send.

Usage (from this folder): python3 generate.py tools    (tools.jsonl, queries.jsonl)
                          python3 generate.py events   (events.jsonl, from the .npy embeddings; needs numpy)
"""
import json
import random
import sys

# (name, description, parameters, [phrasings]); the first 4 phrasings are for training, the rest for testing.
DOMAINS = {
 "billing": [
  ("refund_payment", "Refund a captured payment to the customer's original card or account.", ["payment_id", "amount", "reason"],
   ["refund the last payment", "give the customer their money back", "return the charge to their card", "issue a refund for order 1182", "the customer wants a refund for the duplicate charge", "send the money back for that purchase"]),
  ("open_chargeback_dispute", "Respond to a bank chargeback: open a dispute and attach evidence for a contested card payment.", ["payment_id", "evidence"],
   ["the bank reversed a payment, fight it", "dispute this chargeback", "submit evidence against the card dispute", "a customer's bank pulled the funds, contest it", "respond to the chargeback with the delivery proof", "challenge the reversal the issuer made"]),
  ("create_invoice", "Draft a new invoice with line items for a customer account.", ["customer_id", "items", "due_date"],
   ["draft an invoice for acme", "make a new bill with three line items", "prepare an invoice for last month's work", "create an invoice due in 30 days", "put together a bill for the consulting hours", "start a new invoice for this client"]),
  ("send_invoice", "E-mail an existing invoice to the customer's billing contact.", ["invoice_id", "recipient"],
   ["email invoice 2041 to the client", "send the bill we drafted yesterday", "deliver the invoice to their accounts payable", "mail the existing invoice to finance at acme", "forward the invoice to the customer", "get the already-created invoice to the billing contact"]),
  ("update_payment_method", "Replace the card or bank account used for a customer's future charges.", ["customer_id", "payment_method"],
   ["change the card on file", "update my payment details", "switch billing to a new credit card", "my card expired, use the new one", "replace the bank account we charge", "use a different card for future payments"]),
  ("get_invoice_history", "List past invoices and their payment status for an account.", ["customer_id", "since"],
   ["show all invoices for this year", "which invoices are still unpaid", "list the billing history", "what did we bill them last quarter", "pull up the past invoices for acme", "do they have overdue bills"]),
  ("apply_discount", "Apply a percentage or fixed discount code to an account or invoice.", ["target_id", "code"],
   ["apply the spring promo code", "give them 20 percent off", "add a discount to the next invoice", "use coupon WELCOME10 on the account", "knock 50 dollars off the bill", "put the loyalty discount on their plan"]),
  ("calculate_tax", "Compute sales tax or VAT for an amount and a jurisdiction.", ["amount", "region"],
   ["how much VAT on 1200 euros", "compute sales tax for California", "what is the tax on this order", "work out the GST for Sydney", "tax due on a 99 dollar sale in Texas", "figure out VAT for a German customer"]),
  ("retry_failed_payment", "Retry a declined or failed card charge now.", ["payment_id"],
   ["the card was declined, try again", "rerun the failed charge", "attempt the payment once more", "retry billing for the bounced payment", "charge the card again now that they topped up", "give the declined transaction another go"]),
  ("export_billing_report", "Export revenue and payments for a period as a CSV file.", ["period", "format"],
   ["export revenue for March as csv", "download the payments report", "give me a spreadsheet of billing for Q2", "dump this month's transactions to a file", "I need a CSV of all payments in 2025", "produce the billing export for accounting"]),
 ],
 "subscriptions": [
  ("cancel_subscription", "Cancel a subscription for good: stop renewals and end the plan at the period's end.", ["subscription_id", "reason"],
   ["cancel my subscription", "I want to stop my plan permanently", "end the membership and don't renew", "close my subscription for good", "terminate the account's plan", "I'm done with the service, cancel it"]),
  ("pause_subscription", "Pause a subscription temporarily: billing stops and resumes on a chosen date.", ["subscription_id", "resume_on"],
   ["pause my plan for two months", "put the subscription on hold", "stop billing until I'm back in June", "freeze my membership for a while", "take a break from the subscription", "suspend the plan temporarily"]),
  ("resume_subscription", "Resume a paused subscription now.", ["subscription_id"],
   ["unpause my subscription", "restart the plan I paused", "resume billing now", "reactivate my paused membership", "I'm back, turn the subscription on again", "end the hold on my plan"]),
  ("upgrade_plan", "Move a subscription to a higher tier, prorating the difference.", ["subscription_id", "plan"],
   ["upgrade to the pro plan", "move us to the business tier", "I need more seats, go up a plan", "switch to the premium subscription", "bump my plan to enterprise", "get the bigger package"]),
  ("downgrade_plan", "Move a subscription to a lower tier from the next renewal.", ["subscription_id", "plan"],
   ["downgrade to basic", "switch to a cheaper plan", "go down to the starter tier", "reduce my subscription level", "move to the free plan next month", "we need a smaller package"]),
  ("change_billing_cycle", "Switch a subscription between monthly and annual billing.", ["subscription_id", "cycle"],
   ["switch to yearly billing", "pay monthly instead of annually", "change to an annual plan", "move billing to every month", "can we be billed once a year", "go from annual to monthly payments"]),
  ("add_seats", "Add user licences to a team subscription.", ["subscription_id", "count"],
   ["add five seats", "we hired two people, add licences", "increase the user count to 40", "buy more seats for the team", "give us three extra licences", "expand the team plan by ten users"]),
  ("get_subscription_status", "Show plan, renewal date and state of a subscription.", ["subscription_id"],
   ["when does my plan renew", "what plan am I on", "is my subscription active", "show the subscription details", "check the renewal date", "what is the status of our membership"]),
  ("start_trial", "Start a free trial of a plan for a new or existing account.", ["account_id", "plan"],
   ["start a free trial", "let me try the pro plan for free", "begin a 14 day trial", "activate a trial of premium", "I want to test it before paying", "sign me up for the trial"]),
  ("extend_trial", "Extend an active free trial by some days.", ["account_id", "days"],
   ["extend my trial by a week", "I need more time to evaluate", "give them ten more trial days", "prolong the free trial", "can the trial last until Friday", "add days to the evaluation period"]),
 ],
 "notifications": [
  ("slack_notify", "Post a notification message to a Slack channel.", ["channel", "message"],
   ["post in the team slack channel", "ping the engineers on slack", "drop a message in #general", "tell the channel the deploy is done", "notify the team in slack about the outage", "send a slack alert to ops"]),
  ("email_notify", "Send a notification e-mail to a list of recipients.", ["recipients", "subject", "body"],
   ["email the team about the outage", "send a notification email to the managers", "mail everyone the status update", "write an email alert to support", "let the stakeholders know by email", "send an email heads-up to the customers"]),
  ("sms_notify", "Send a text message to a phone number.", ["phone", "message"],
   ["text the on-call engineer", "send an sms to the customer", "message her phone about the delivery", "sms the driver the address", "send a text reminder for the appointment", "shoot a quick text to the courier"]),
  ("page_oncall", "Page the on-call engineer through the incident system, escalating until acknowledged.", ["service", "severity"],
   ["page whoever is on call", "wake up the on-call for the database", "trigger an incident page", "escalate to the on-call engineer now", "raise a sev1 page for payments", "call in the on-call person"]),
  ("schedule_reminder", "Schedule a reminder message for a later time.", ["when", "message"],
   ["remind me at 5 pm to call the bank", "set a reminder for tomorrow morning", "ping me next Monday about the report", "schedule a nudge in two hours", "don't let me forget the review on Friday", "create a reminder for the renewal"]),
  ("send_push_notification", "Send a push notification to users of the mobile app.", ["audience", "title", "body"],
   ["push a notification to all app users", "send a mobile alert about the sale", "notify app users of the new feature", "push a message to iOS users", "alert everyone on their phones about maintenance", "send an in-app push to beta testers"]),
  ("teams_notify", "Post a message to a Microsoft Teams channel.", ["team", "channel", "message"],
   ["post to the Teams channel", "message the finance team in Microsoft Teams", "share the update on Teams", "drop a note in our Teams chat", "notify the sales channel on Teams", "put the announcement in Teams"]),
  ("create_status_page_update", "Publish an incident update on the public status page.", ["incident", "status", "message"],
   ["update the public status page", "post an incident notice for customers", "mark the outage resolved on the status site", "publish that we are investigating", "tell customers on the status page", "add an update to the incident page"]),
  ("mute_notifications", "Mute notifications for a channel or user for some time.", ["target", "duration"],
   ["mute alerts for an hour", "silence the notifications tonight", "stop pinging me until tomorrow", "snooze the channel", "turn off alerts during the maintenance", "do not disturb for two hours"]),
  ("list_notification_history", "List recently sent notifications and their delivery state.", ["channel", "since"],
   ["what alerts were sent today", "show the notification log", "did the email to support go out", "list the messages we pushed last week", "check delivery of the recent notifications", "history of pages this month"]),
 ],
 "calendar": [
  ("schedule_meeting", "Create a meeting with attendees in the user's calendar.", ["title", "start", "attendees"],
   ["schedule a meeting with Bob tomorrow", "set up a call with the design team", "book time with Sara on Thursday", "create a sync with the client next week", "put a one-on-one on my calendar", "arrange a meeting with marketing at 3"]),
  ("book_room", "Reserve a meeting room for a time slot.", ["room", "start", "end"],
   ["reserve a conference room for 2 pm", "book the big room for the workshop", "find and hold a room for ten people", "get us a meeting room tomorrow", "reserve room 4B for an hour", "book a space for the all-hands"]),
  ("reschedule_meeting", "Move an existing meeting to another time.", ["meeting_id", "new_start"],
   ["move my 3 pm meeting to Friday", "push the standup back an hour", "reschedule the client call", "change the time of the review", "shift tomorrow's sync to next week", "the demo needs a new slot"]),
  ("cancel_meeting", "Cancel a calendar meeting and notify attendees.", ["meeting_id"],
   ["cancel the meeting with Bob", "call off tomorrow's sync", "drop the 4 pm review from the calendar", "the workshop is cancelled, remove it", "delete the team lunch event", "scrap the planning session"]),
  ("find_free_slot", "Find a time when all given people are free.", ["attendees", "duration"],
   ["when are Ann and Raj both free", "find a common slot for the team", "what time works for everyone next week", "look for a free hour with the CFO", "find availability for a 30 minute call", "check when the panel can all meet"]),
  ("get_agenda", "List the user's events for a day or week.", ["date"],
   ["what's on my calendar today", "show my schedule for tomorrow", "do I have meetings this afternoon", "list my events this week", "what does Friday look like", "read me my agenda"]),
  ("set_out_of_office", "Set an out-of-office period and auto-reply.", ["start", "end", "message"],
   ["set my out of office for next week", "turn on the vacation auto-reply", "I'm away until Monday, set OOO", "mark me out of office tomorrow", "add an away message while I travel", "set an absence reply for the holidays"]),
  ("invite_attendee", "Add a person to an existing meeting.", ["meeting_id", "email"],
   ["add Lee to the planning meeting", "invite the vendor to Thursday's call", "include Priya in the review", "put the new hire on the standup invite", "send an invite for the sync to Tom", "add finance to tomorrow's meeting"]),
  ("create_recurring_event", "Create a repeating calendar event.", ["title", "rule"],
   ["set up a weekly standup", "make the retro repeat every two weeks", "recurring one-on-one every Monday", "create a monthly review series", "schedule a daily check-in at 9", "add a repeating team lunch on Fridays"]),
  ("decline_invitation", "Decline a meeting invitation with an optional note.", ["meeting_id", "note"],
   ["decline the budget meeting", "say no to the invite for Friday", "I can't make the workshop, decline it", "reject the calendar invitation", "turn down the 8 am call", "respond no to the offsite invite"]),
 ],
 "files": [
  ("upload_file", "Upload a local file to shared storage.", ["path", "folder"],
   ["upload the report to the shared drive", "put this pdf in storage", "upload the contract", "store the spreadsheet in the team folder", "save this image to the cloud drive", "push the slides to shared storage"]),
  ("share_file", "Share an already stored file with people, with view or edit rights.", ["file_id", "people", "role"],
   ["share the deck with the sales team", "give Anna edit access to the doc", "send the file link to the client", "let marketing view the spreadsheet", "grant read access to the contract", "make the document available to the board"]),
  ("search_files", "Search stored files by name or content.", ["query"],
   ["find the Q3 budget spreadsheet", "where is the signed contract", "search the drive for the onboarding guide", "look for files about the migration", "locate the latest brand deck", "which document mentions the vendor name"]),
  ("delete_file", "Delete a stored file (moves it to the bin).", ["file_id"],
   ["delete the old draft", "remove the duplicate upload", "trash the outdated spreadsheet", "get rid of the test file", "delete the wrong version of the contract", "throw away the temp export"]),
  ("convert_document", "Convert a document between formats such as DOCX, PDF and Markdown.", ["file_id", "target_format"],
   ["convert the word doc to pdf", "turn this markdown into a docx", "make a pdf of the proposal", "export the slides as pdf", "change the file to plain text", "convert the spreadsheet to csv"]),
  ("summarize_document", "Summarise the content of a stored document.", ["file_id", "length"],
   ["summarize the contract", "give me the gist of the report", "tl;dr of the meeting notes", "what are the key points in this pdf", "condense the proposal into bullets", "brief me on the whitepaper"]),
  ("create_folder", "Create a folder in shared storage.", ["name", "parent"],
   ["make a new folder for the project", "create a directory called invoices", "add a folder under marketing", "set up a folder for the new client", "new folder for 2026 contracts", "create a place to keep the designs"]),
  ("restore_file_version", "Restore an earlier version of a file.", ["file_id", "version"],
   ["restore yesterday's version of the doc", "undo the changes to the spreadsheet", "roll the file back to version 3", "bring back the earlier draft", "recover the previous copy of the contract", "revert the document edits"]),
  ("download_file", "Download a stored file to the local machine.", ["file_id", "path"],
   ["download the invoice pdf", "save the contract locally", "get a local copy of the dataset", "pull the report down to my laptop", "download all attachments from the folder", "fetch the file to my machine"]),
  ("request_signature", "Send a document for e-signature.", ["file_id", "signers"],
   ["send the contract for signature", "get the NDA signed by the vendor", "request an e-signature from the client", "route the agreement for signing", "ask legal and the CEO to sign", "collect signatures on the offer letter"]),
 ],
 "crm": [
  ("create_lead", "Create a new sales lead from a prospect's details.", ["name", "company", "email"],
   ["add a new lead from the conference", "create a prospect for Globex", "log this person as a lead", "new lead: Jane from Initech", "capture the inbound inquiry as a lead", "enter the webinar signup as a prospect"]),
  ("update_contact", "Update an existing contact's details.", ["contact_id", "fields"],
   ["change Jane's phone number", "update the contact's email address", "fix the job title on the record", "edit the customer's address", "the client moved, update their details", "correct the spelling of his name"]),
  ("log_call", "Log a call or meeting note against a contact or deal.", ["contact_id", "notes"],
   ["log my call with the client", "record notes from the sales call", "add a note that we spoke today", "write down what we discussed with Globex", "save the meeting summary to the account", "note the follow-up from this morning's call"]),
  ("create_deal", "Open a sales opportunity with amount and stage.", ["account_id", "amount", "stage"],
   ["open a deal worth 50k", "create an opportunity for the renewal", "add a new deal in the pipeline", "start an opportunity for Initech", "put a 20k upsell in the pipeline", "register the new sales opportunity"]),
  ("update_deal_stage", "Move an opportunity to another pipeline stage.", ["deal_id", "stage"],
   ["move the deal to negotiation", "mark the opportunity as won", "the Globex deal is lost", "advance the deal to proposal", "close the opportunity as won", "set the deal stage to contract sent"]),
  ("find_contact", "Search contacts by name, company or e-mail.", ["query"],
   ["find the contact at Acme", "who is our point of contact at Globex", "look up Jane's details", "search the CRM for the CFO", "get the email of the account manager", "find people from Initech"]),
  ("assign_account_owner", "Assign an account to a sales rep.", ["account_id", "owner"],
   ["give the Acme account to Ravi", "assign this customer to Maria", "change the account owner", "make Tom responsible for Globex", "hand the account over to the new rep", "reassign the client to the enterprise team"]),
  ("merge_duplicate_contacts", "Merge duplicate contact records into one.", ["contact_ids"],
   ["merge the two Jane Smith records", "combine duplicate contacts", "dedupe the customer entries", "these contacts are the same person, merge them", "clean up the duplicate records", "join the repeated accounts"]),
  ("create_support_ticket", "Open a support ticket for a customer issue.", ["customer_id", "subject", "priority"],
   ["open a ticket for the login bug", "create a support case for Acme", "file a ticket about the broken export", "log the customer complaint as a ticket", "raise a high priority case", "start a support request for the outage"]),
  ("get_customer_health", "Show an account's health score, usage and open issues.", ["account_id"],
   ["how healthy is the Acme account", "is Globex at risk of churning", "show usage for this customer", "what's the health score of Initech", "any red flags on this account", "check the customer's engagement"]),
 ],
 "devops": [
  ("restart_service", "Restart a running service or its pods.", ["service", "environment"],
   ["restart the api service", "bounce the payments pods", "reboot the worker in production", "restart the web server", "kick the search service", "recycle the queue consumers"]),
  ("rollback_deployment", "Roll a service back to its previous release.", ["service", "version"],
   ["roll back the last deploy", "revert production to yesterday's release", "undo the broken deployment", "go back to version 1.4", "the release is bad, roll it back", "return the service to the previous build"]),
  ("deploy_release", "Deploy a release of a service to an environment.", ["service", "version", "environment"],
   ["deploy version 2.3 to production", "ship the release to staging", "push the new build live", "roll out the update", "deploy the api to prod", "release the hotfix"]),
  ("scale_service", "Change the number of replicas of a service.", ["service", "replicas"],
   ["scale the api to ten replicas", "add more workers", "scale down the batch jobs", "we need more capacity for the web tier", "increase the pod count", "shrink the cluster for the night"]),
  ("get_service_logs", "Fetch recent logs of a service.", ["service", "since"],
   ["show the api logs", "what errors are in the payment logs", "tail the worker logs", "get the last hour of logs", "check the logs for the crash", "pull the service output from this morning"]),
  ("check_service_health", "Report health checks, error rate and latency of a service.", ["service"],
   ["is the api healthy", "what's the error rate on checkout", "check if the service is up", "how is production doing", "any failing health checks", "latency of the search service right now"]),
  ("create_incident", "Open an incident with severity and owner.", ["title", "severity"],
   ["open an incident for the outage", "declare a sev2", "start an incident for checkout errors", "log a production incident", "create an incident ticket for the db failure", "kick off incident response"]),
  ("run_database_migration", "Run pending database migrations in an environment.", ["database", "environment"],
   ["run the migrations on staging", "apply the schema changes", "migrate the production database", "execute pending migrations", "update the db schema", "run the new migration scripts"]),
  ("rotate_secret", "Rotate a credential or API key and update its consumers.", ["secret_name"],
   ["rotate the api key", "change the database password", "the token leaked, rotate it", "renew the service credentials", "issue a new secret for the integration", "cycle the access keys"]),
  ("flush_cache", "Invalidate a cache or CDN path.", ["cache", "path"],
   ["clear the cache", "purge the CDN for the homepage", "invalidate cached images", "flush redis", "the site shows stale data, clear the cache", "bust the cache for the pricing page"]),
 ],
 "analytics": [
  ("run_sql_query", "Run a read-only SQL query on the warehouse.", ["sql"],
   ["run this sql on the warehouse", "query the orders table", "select the top customers by revenue", "how many rows in the events table", "execute a query on the analytics db", "count signups by day in sql"]),
  ("show_dashboard", "Open a saved dashboard.", ["dashboard"],
   ["open the sales dashboard", "show me the KPI board", "pull up the marketing dashboard", "display the ops metrics dashboard", "I want to see the revenue board", "bring up the executive dashboard"]),
  ("build_report", "Build a report with chosen metrics, dimensions and period.", ["metrics", "dimensions", "period"],
   ["build a report of revenue by region", "make a monthly churn report", "create a report on signups by channel", "put together conversion numbers for Q3", "report active users per country", "generate a breakdown of sales by product"]),
  ("forecast_metric", "Forecast a metric forward from its history.", ["metric", "horizon"],
   ["forecast revenue for next quarter", "predict signups for December", "project churn for the next six months", "what will traffic look like next week", "estimate next year's sales", "forecast demand for the holidays"]),
  ("detect_anomalies", "Find unusual changes in a metric.", ["metric", "period"],
   ["any anomalies in yesterday's traffic", "why did conversions spike", "find unusual drops in revenue", "detect outliers in the error rate", "something's off with signups, check", "spot abnormal usage this week"]),
  ("export_data", "Export a table or query result to CSV or Parquet.", ["source", "format"],
   ["export the users table to csv", "download the query results", "dump the events to parquet", "give me the raw data as a file", "export last month's orders", "save the result set to a spreadsheet"]),
  ("track_event", "Define a new product analytics event to track.", ["name", "properties"],
   ["start tracking the checkout click", "add an analytics event for signups", "instrument the new button", "track when users open settings", "log an event for video plays", "define a tracking event for trial starts"]),
  ("ab_test_results", "Show the results and significance of an A/B test.", ["experiment"],
   ["did variant B win", "show the A/B test results", "is the pricing experiment significant", "how did the new onboarding test do", "compare the two variants", "results of the checkout experiment"]),
  ("cohort_retention", "Compute retention by signup cohort.", ["period"],
   ["show retention by cohort", "how many January users are still active", "weekly cohort retention chart", "compare retention of last two cohorts", "what's our month-3 retention", "cohort analysis of signups"]),
  ("schedule_report_email", "E-mail a report on a recurring schedule.", ["report", "recipients", "schedule"],
   ["email the sales report every Monday", "send the KPI report weekly to leadership", "schedule the dashboard as a daily email", "have the churn report mailed monthly", "set up a recurring report email", "deliver the revenue report to finance every week"]),
 ],
 "hr": [
  ("request_time_off", "Submit a leave request for a date range.", ["start", "end", "type"],
   ["I want to take next Friday off", "request vacation for August", "book two days of leave", "submit a sick day for today", "ask for time off over the holidays", "apply for parental leave"]),
  ("approve_time_off", "Approve or reject an employee's pending leave request.", ["request_id", "decision"],
   ["approve Sam's vacation request", "reject the leave request for next week", "sign off on the pending time off", "okay my report's holiday", "deny the overlapping leave", "approve the sick day"]),
  ("onboard_employee", "Start onboarding for a new hire: accounts, equipment, checklist.", ["name", "start_date", "role"],
   ["onboard the new engineer starting Monday", "set up accounts for the new hire", "start the onboarding checklist for Maria", "prepare a laptop and access for the intern", "welcome the new designer", "kick off onboarding for the sales hire"]),
  ("offboard_employee", "Offboard a leaving employee: revoke access and collect equipment.", ["employee_id", "last_day"],
   ["offboard John on Friday", "remove access for the leaving contractor", "start exit procedures for Ana", "deactivate accounts of the departing employee", "collect the laptop from the leaver", "process the resignation"]),
  ("get_payslip", "Retrieve an employee's payslip for a month.", ["employee_id", "month"],
   ["show my payslip for March", "download last month's pay stub", "how much was I paid in May", "get my salary slip", "I need my payslip for the mortgage", "view my latest pay statement"]),
  ("submit_expense", "Submit an expense claim with receipt.", ["amount", "category", "receipt"],
   ["submit my taxi receipt", "claim the conference ticket", "file an expense for the team dinner", "get reimbursed for the flight", "expense the new keyboard", "put in a claim for travel costs"]),
  ("update_benefits", "Change an employee's benefit elections.", ["employee_id", "plan"],
   ["change my health insurance plan", "add my partner to benefits", "enrol in the pension scheme", "update my dental coverage", "opt into the gym benefit", "switch my benefits package"]),
  ("post_job_opening", "Publish a job opening on the careers page and job boards.", ["title", "description"],
   ["post a job for a data engineer", "advertise the designer role", "publish the opening on our careers page", "list a new position for support", "put up a job ad for a PM", "open a hiring post for sales"]),
  ("schedule_interview", "Schedule an interview between a candidate and interviewers.", ["candidate", "interviewers", "start"],
   ["set up an interview with the candidate", "book the technical interview for Thursday", "arrange a call between Lina and the hiring panel", "schedule the final round", "find a time to interview the applicant", "invite the candidate to an onsite"]),
  ("org_chart_lookup", "Find who reports to whom and who holds a role.", ["person_or_role"],
   ["who is my manager", "who reports to the CTO", "who runs the data team", "find the head of HR", "show the org chart for sales", "who do I ask about payroll"]),
 ],
 "travel": [
  ("book_flight", "Book a new flight for a traveller.", ["from", "to", "date"],
   ["book a flight to Berlin on Friday", "get me a plane ticket to Tokyo", "fly me from London to NYC next week", "reserve a seat to Madrid", "I need a flight to the conference", "buy a return ticket to Paris"]),
  ("change_flight", "Change the date or time of an existing flight booking.", ["booking_id", "new_date"],
   ["move my flight to Monday", "change my booking to an earlier flight", "rebook my return for the next day", "switch my flight time", "can I fly a day later on the same ticket", "modify my existing reservation"]),
  ("cancel_flight", "Cancel a flight booking and request a refund or credit.", ["booking_id"],
   ["cancel my flight to Berlin", "I'm not travelling anymore, cancel the ticket", "drop the plane reservation", "cancel the booking and get credit", "call off my trip's flight", "void the ticket"]),
  ("book_hotel", "Book a hotel room for given dates.", ["city", "check_in", "check_out"],
   ["book a hotel in Berlin", "find me a room near the venue", "reserve two nights in Rome", "get accommodation for the offsite", "I need a hotel for the conference", "book a place to stay in Lisbon"]),
  ("rent_car", "Reserve a rental car.", ["city", "pickup", "dropoff"],
   ["rent a car at the airport", "book a car for the weekend", "I need a rental in Denver", "reserve an SUV for the trip", "get me a car from Monday to Wednesday", "hire a vehicle in Nice"]),
  ("get_itinerary", "Show a traveller's upcoming trips and bookings.", ["traveller"],
   ["show my itinerary", "what are my upcoming trips", "when is my flight", "list my bookings for next week", "where am I staying in Berlin", "give me my travel plan"]),
  ("check_visa_requirements", "Check visa and entry requirements for a trip.", ["citizenship", "destination"],
   ["do I need a visa for Japan", "entry requirements for Brazil", "what documents to enter the US", "is a visa needed for India as a German", "can I travel to Canada with my passport", "check travel entry rules for Kenya"]),
  ("book_train", "Book a train ticket.", ["from", "to", "date"],
   ["book a train to Amsterdam", "get me a rail ticket to Lyon", "reserve a seat on the Eurostar", "I'd rather take the train to Munich", "buy a train ticket for tomorrow", "book the high-speed train to Milan"]),
  ("submit_travel_request", "Submit a business trip for approval before booking.", ["destination", "dates", "purpose"],
   ["request approval for the Berlin trip", "submit a travel request for the summit", "ask my manager to approve travel", "get the business trip signed off", "file a trip request for the client visit", "seek approval to travel to Tokyo"]),
  ("get_flight_status", "Show the live status of a flight.", ["flight_number", "date"],
   ["is LH 400 on time", "has my flight been delayed", "flight status for BA 117", "what gate is my plane", "check if the flight is cancelled", "when does the flight land"]),
 ],
}

# Notification requests that name no channel: which tool is right depends on who asks (team A
# uses Slack, team B e-mail), so both are correct labels and only preferences can tell them apart.
CHANNEL_FREE = ["notify the team about the outage", "let everyone know the deploy is done", "send the team a heads-up",
                "tell the team the release is out", "give the group a status update", "announce the maintenance window"]

# Polite wrappers for requests; questions and statements only get the neutral ones.
WRAPPERS = [("", ""), ("please ", ""), ("can you ", "?"), ("I need to ", ""), ("hey, ", " please"), ("could you ", " for me?"),
            ("", " asap"), ("quick one: ", ""), ("help me ", ""), ("", ", thanks")]
NEUTRAL = [("", ""), ("quick one: ", ""), ("hey, ", ""), ("", ", thanks"), ("", " please")]
IMPERATIVE_START = ("what", "when", "who", "how", "is ", "are ", "do ", "does", "did", "which", "where", "any", "can ", "should",
                    "why", "i ", "i'm", "the ", "a ", "my ", "we ", "she", "he ", "something", "these", "has ", "tl;dr", "new ",
                    "results", "history", "latency", "entry", "flight status", "tax due", "whoever", "this ", "it ", "they")


def catalogue(rng):
    """The tools and the labelled queries, in file order."""
    tools, queries = [], []
    for domain, entries in DOMAINS.items():
        for name, description, parameters, phrasings in entries:
            assert len(phrasings) == 6, name
            tools.append({"id": name, "name": name, "description": description, "tags": [domain],
                          "parameters": {"type": "object", "properties": {p: {"type": "string"} for p in parameters},
                                         "required": parameters[:1]}})
            for split, chosen, count in (("train", phrasings[:4], 7), ("test", phrasings[4:], 3)):
                texts = set()
                while len(texts) < count:
                    phrase = rng.choice(chosen)
                    before, after = rng.choice(NEUTRAL if phrase.lower().startswith(IMPERATIVE_START) else WRAPPERS)
                    if before in ("I need to ", "help me ") and " me" in " " + phrase:  # "I need to give me …"
                        before = "please "
                    texts.add((before + phrase + after).strip())
                for text in sorted(texts):
                    queries.append({"text": text, "tools": [name], "split": split})
    queries += [{"text": text, "tools": ["slack_notify", "email_notify"], "split": "train"} for text in CHANNEL_FREE]
    rng.shuffle(queries)
    for i, q in enumerate(queries):
        q["id"] = f"q{i:04d}"
    return tools, queries


def frozen_picks(tools, queries):
    """For each query text, the tool frozen MiniLM routing ranks first (largest cosine of the
    committed unit-row embeddings)."""
    import numpy as np
    tool_vectors, query_vectors = np.load("tools.npy"), np.load("queries.npy")
    if tool_vectors.shape[0] != len(tools) or query_vectors.shape[0] != len(queries):
        sys.exit("tools.npy / queries.npy do not match the catalogue: embed it again (README.md beside this file)")
    best = (query_vectors @ tool_vectors.T).argmax(axis=1)
    return {q["text"]: tools[b]["id"] for q, b in zip(queries, best)}


def event_log(rng, tools, queries, picked):
    """Sessions of the two teams, each request with the frozen pick, the correct tool and the outcome."""
    follows = {"upload_file": "share_file", "create_invoice": "send_invoice", "deploy_release": "check_service_health",
               "create_incident": "page_oncall", "book_flight": "book_hotel", "create_lead": "log_call"}
    slow = {"email_notify": 1800, "run_sql_query": 2500, "convert_document": 1500}
    flaky = {"restart_service": 0.65, "sms_notify": 0.25}
    by_tool = {}
    for q in queries:
        if q["split"] == "train" and len(q["tools"]) == 1:
            by_tool.setdefault(q["tools"][0], []).append(q["text"])
    events = []
    users = [(f"user{u:02d}", "A" if u < 6 else "B") for u in range(12)]

    def request(session, user, team, tool, query, outcome, latency):
        events.append({"session": session, "user": user, "team": team, "query": query, "selected": picked[query],
                       "correct": tool, "outcome": outcome, "latency_ms": latency})

    for s in range(300):
        user, team = rng.choice(users)
        steps = rng.choice([1, 2, 2, 3])
        tool = rng.choice(list(by_tool))
        for _ in range(steps):
            latency = max(20, int(rng.gauss(slow.get(tool, 250), slow.get(tool, 250) * 0.25)))
            outcome = "success"
            if rng.random() < flaky.get(tool, 0.03):
                outcome = "timeout" if rng.random() < 0.5 else "failure"
            request(f"s{s:03d}", user, team, tool, rng.choice(by_tool[tool]), outcome, latency)
            tool = follows.get(tool) or rng.choice(list(by_tool))
    # Sessions that show team habits (channel-free notifications) and an unreliable tool more often
    # than chance would.
    for s in range(300, 360):
        user, team = rng.choice(users)
        tool = "slack_notify" if team == "A" else "email_notify"
        request(f"s{s:03d}", user, team, tool, rng.choice(CHANNEL_FREE), "success",
                max(20, int(rng.gauss(slow.get(tool, 250), slow.get(tool, 250) * 0.25))))
    for s in range(360, 380):
        user, team = rng.choice(users)
        failed = rng.random() < flaky["restart_service"]
        request(f"s{s:03d}", user, team, "restart_service", rng.choice(by_tool["restart_service"]),
                ("timeout" if rng.random() < 0.5 else "failure") if failed else "success",
                max(20, int(rng.gauss(4000 if failed else 600, 300))))
    return events


def write_lines(path, rows):
    with open(path, "w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


def main():
    step = sys.argv[1] if len(sys.argv) == 2 else None
    if step not in ("tools", "events"):
        sys.exit("usage: python3 generate.py tools | events")
    rng = random.Random(20261125)
    tools, queries = catalogue(rng)
    queries = [{k: q[k] for k in ("id", "text", "tools", "split")} for q in queries]
    if step == "tools":
        write_lines("tools.jsonl", tools)
        write_lines("queries.jsonl", queries)
        print(f"{len(tools)} tools, {len(queries)} queries ({sum(q['split'] == 'train' for q in queries)} train)")
        return
    with open("queries.jsonl") as f:
        if [json.loads(line) for line in f] != queries:
            sys.exit("queries.jsonl differs from the catalogue: run `python3 generate.py tools` and embed it first")
    events = event_log(rng, tools, queries, frozen_picks(tools, queries))
    write_lines("events.jsonl", events)
    wrong = sum(e["selected"] != e["correct"] for e in events)
    print(f"{len(events)} events of {len({e['session'] for e in events})} sessions, {wrong} wrong picks corrected")


if __name__ == "__main__":
    main()
